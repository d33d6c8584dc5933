// A call's parameters, read strictly from the query string: every name declared, every value
// of its declared type and inside its declared range or enumeration, each given once. Anything
// else is refused before anything runs (the values are bound, never spliced, but an unchecked
// value is still a probe of the parameter space).
import { OpError } from '../errors/index.ts';
import { canonicalJson } from '../lineage/index.ts';
import type { ParamSchema, ParamValue, ProductSpec } from './spec.ts';

const bad = (msg: string): never => {
  throw new OpError('PRODUCT_BAD_PARAMETERS', msg);
};

const INTEGER = /^-?(0|[1-9]\d{0,15})$/;
const NUMBER = /^-?(0|[1-9]\d{0,15})(\.\d{1,12})?$/;

function readOne(name: string, s: ParamSchema, raw: string): ParamValue {
  if (s.type === 'string') return s.enum.includes(raw) ? raw : bad(`${name} must be one of the product's values`);
  if (s.type === 'boolean') return raw === 'true' ? true : raw === 'false' ? false : bad(`${name} must be true or false`);
  if (!(s.type === 'integer' ? INTEGER : NUMBER).test(raw)) bad(`${name} must be ${s.type === 'integer' ? 'an integer' : 'a number'}`);
  const v = Number(raw);
  if (v < s.minimum || v > s.maximum) bad(`${name} must be from ${s.minimum} to ${s.maximum}`);
  return v;
}

/** Query-string values (fastify gives a string, or an array when repeated) → bound parameters. */
export function readParams(spec: ProductSpec, query: Readonly<Record<string, unknown>>): Record<string, ParamValue> {
  const props = spec.parameters.properties;
  const out: Record<string, ParamValue> = {};
  for (const [k, v] of Object.entries(query)) {
    if (!Object.hasOwn(props, k)) bad(`unknown parameter "${k.slice(0, 40)}"`);
    if (typeof v !== 'string') bad(`${k} must be given once`);
    out[k] = readOne(k, props[k]!, v as string);
  }
  const missing = spec.parameters.required.filter((k) => !(k in out));
  if (missing.length > 0) bad(`missing parameter${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`);
  // An optional parameter not given binds its declared default (never NULL).
  for (const [k, s] of Object.entries(props)) if (!(k in out) && s.default !== undefined) out[k] = s.default;
  return out;
}

/** The same parameters always give the same text (the cache key, the audit's parameter hash). */
export function canonicalParams(params: Readonly<Record<string, ParamValue>>): string {
  return canonicalJson(params);
}

/**
 * Parameter sets the approval report runs the template over: each parameter's example (or the
 * low end of its range, or its first value), then each parameter moved to another value (the
 * other end of its range, another value of its enum, the other boolean).
 */
export function sampleParams(spec: ProductSpec, max = 6): Record<string, ParamValue>[] {
  const props = Object.entries(spec.parameters.properties);
  const first = (s: ParamSchema): ParamValue => s.example ?? s.default ?? (s.type === 'string' ? s.enum[0]! : s.type === 'boolean' ? true : s.minimum);
  const base = Object.fromEntries(props.map(([k, s]) => [k, first(s)]));
  const other = (k: string, s: ParamSchema): ParamValue | undefined =>
    s.type === 'string' ? s.enum.find((v) => v !== base[k]) : s.type === 'boolean' ? !base[k] : base[k] === s.minimum ? s.maximum : s.minimum;
  const sets = [base];
  for (const [k, s] of props) {
    const v = other(k, s);
    if (v !== undefined && v !== base[k] && sets.length < max) sets.push({ ...base, [k]: v });
  }
  return sets;
}
