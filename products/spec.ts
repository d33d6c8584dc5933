// A product version as the operator proposes it: a gated SQL template whose parameters are
// bound (never spliced), a JSON Schema that bounds every parameter (an enum, or a numeric range),
// the output columns, the unit of privacy and the call-time controls. The version is named by
// the hash of all of it, so any edit is another version that needs its own approval.
import { createHash } from 'node:crypto';
import { OpError } from '../errors/index.ts';
import { canonicalJson } from '../lineage/index.ts';
import { KEY_PARAMETER_NAMES, KEY_PREFIX } from './openapi.ts';

export type ParamValue = string | number | boolean;

export type ParamSchema =
  | {
      readonly type: 'integer' | 'number';
      readonly minimum: number;
      readonly maximum: number;
      readonly title?: string;
      readonly description?: string;
      readonly example?: number;
      readonly default?: number;
    }
  | {
      readonly type: 'string';
      readonly enum: readonly string[];
      readonly title?: string;
      readonly description?: string;
      readonly example?: string;
      readonly default?: string;
    }
  | { readonly type: 'boolean'; readonly title?: string; readonly description?: string; readonly example?: boolean; readonly default?: boolean };

export interface CallControls {
  /** Rows resting on fewer units of privacy are not returned (never below the authorization's minimum cell count). */
  readonly minUnits: number;
  /** Published measures are rounded to a multiple of this (1: unrounded). */
  readonly roundTo: number;
  /** At most this many rows a call. */
  readonly rowCap: number;
}

export interface ProductSpec {
  readonly product: string;
  readonly title: string;
  readonly scenario: string;
  readonly sql: string;
  readonly parameters: {
    readonly type: 'object';
    readonly properties: Readonly<Record<string, ParamSchema>>;
    readonly required: readonly string[];
    readonly additionalProperties: false;
  };
  readonly columns: readonly { readonly name: string; readonly description?: string }[];
  readonly unit: 'person' | 'enterprise';
  readonly controls: CallControls;
  readonly price: string;
}

export const PRODUCT_ID = /^[a-z][a-z0-9-]{1,47}$/;
const PARAM_NAME = /^[a-z][a-z0-9_]{0,31}$/;
export const MAX_PARAMETERS = 12;
export const MAX_ROW_CAP = 10_000;
const MAX_ENUM = 500;

const bad = (msg: string): never => {
  throw new OpError('PRODUCT_INVALID', msg);
};
const isObj = (x: unknown): x is Record<string, unknown> => !!x && typeof x === 'object' && !Array.isArray(x);
const text = (v: unknown, what: string, max: number, min = 1): string => {
  if (typeof v !== 'string' || v.trim().length < min || v.length > max) bad(`${what} must be a text of ${min} to ${max} characters`);
  return (v as string).trim();
};
const int = (v: unknown, what: string, lo: number, hi: number): number => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) bad(`${what} must be an integer from ${lo} to ${hi}`);
  return v as number;
};

function onlyKeys(o: Record<string, unknown>, keys: readonly string[], where: string): void {
  const extra = Object.keys(o).filter((k) => !keys.includes(k));
  if (extra.length > 0) bad(`${where}: unknown field "${extra[0]!.slice(0, 40)}" (known: ${keys.join(', ')})`);
}

function parseParam(name: string, s: unknown): ParamSchema {
  if (!isObj(s)) return bad(`parameter ${name}: a schema object is required`);
  const description = {
    ...(s.description === undefined ? {} : { description: text(s.description, `parameter ${name}: description`, 500) }),
    ...(s.title === undefined ? {} : { title: text(s.title, `parameter ${name}: title`, 100) }),
  };
  if (s.type === 'integer' || s.type === 'number') {
    onlyKeys(s, ['type', 'minimum', 'maximum', 'title', 'description', 'example', 'default'], `parameter ${name}`);
    const num = (v: unknown, what: string) =>
      typeof v === 'number' && Number.isFinite(v) && (s.type === 'number' || Number.isInteger(v))
        ? v
        : bad(`parameter ${name}: ${what} must be a finite ${s.type}`);
    const minimum = num(s.minimum, 'minimum');
    const maximum = num(s.maximum, 'maximum');
    if (minimum > maximum) bad(`parameter ${name}: minimum is above maximum`);
    const example = s.example === undefined ? {} : { example: num(s.example, 'example') };
    if (example.example !== undefined && (example.example < minimum || example.example > maximum)) bad(`parameter ${name}: the example is out of range`);
    const dflt = s.default === undefined ? {} : { default: num(s.default, 'default') };
    if (dflt.default !== undefined && (dflt.default < minimum || dflt.default > maximum)) bad(`parameter ${name}: the default is out of range`);
    return { type: s.type, minimum, maximum, ...description, ...example, ...dflt };
  }
  if (s.type === 'string') {
    onlyKeys(s, ['type', 'enum', 'title', 'description', 'example', 'default'], `parameter ${name}`);
    // A free text parameter is an open door to the parameter space: strings are enumerations.
    if (!Array.isArray(s.enum) || s.enum.length === 0 || s.enum.length > MAX_ENUM)
      return bad(`parameter ${name}: a string parameter needs an enum of 1 to ${MAX_ENUM} values`);
    const values = s.enum.map((v) => text(v, `parameter ${name}: an enum value`, 100));
    if (values.some((v) => v.startsWith(KEY_PREFIX))) bad(`parameter ${name}: an enum value may not begin with ${KEY_PREFIX} (it would be taken for a key)`);
    if (new Set(values).size !== values.length) bad(`parameter ${name}: enum values repeat`);
    if (s.example !== undefined && !values.includes(s.example as string)) bad(`parameter ${name}: the example is not one of the enum`);
    if (s.default !== undefined && !values.includes(s.default as string)) bad(`parameter ${name}: the default is not one of the enum`);
    return {
      type: 'string',
      enum: values,
      ...description,
      ...(s.example !== undefined ? { example: s.example as string } : {}),
      ...(s.default !== undefined ? { default: s.default as string } : {}),
    };
  }
  if (s.type === 'boolean') {
    onlyKeys(s, ['type', 'title', 'description', 'example', 'default'], `parameter ${name}`);
    if (s.example !== undefined && typeof s.example !== 'boolean') bad(`parameter ${name}: the example must be a boolean`);
    if (s.default !== undefined && typeof s.default !== 'boolean') bad(`parameter ${name}: the default must be a boolean`);
    return {
      type: 'boolean',
      ...description,
      ...(s.example !== undefined ? { example: s.example as boolean } : {}),
      ...(s.default !== undefined ? { default: s.default as boolean } : {}),
    };
  }
  return bad(`parameter ${name}: type must be integer, number, string (with enum) or boolean`);
}

function parseParameters(p: unknown): ProductSpec['parameters'] {
  if (p === undefined) return { type: 'object', properties: {}, required: [], additionalProperties: false };
  if (!isObj(p)) return bad('parameters must be a JSON Schema object');
  onlyKeys(p, ['type', 'properties', 'required', 'additionalProperties'], 'parameters');
  if (p.type !== undefined && p.type !== 'object') bad('parameters.type must be "object"');
  if (p.additionalProperties !== undefined && p.additionalProperties !== false)
    bad('parameters.additionalProperties must be false: unknown parameters are refused');
  const props = p.properties ?? {};
  if (!isObj(props)) return bad('parameters.properties must be an object');
  const names = Object.keys(props);
  if (names.length > MAX_PARAMETERS) bad(`at most ${MAX_PARAMETERS} parameters`);
  const properties: Record<string, ParamSchema> = {};
  for (const n of names.sort()) {
    if (!PARAM_NAME.test(n)) bad(`parameter name "${n.slice(0, 40)}" must match ${PARAM_NAME.source}`);
    // The door refuses what looks like an API key in the URL: no parameter may look like one.
    if (KEY_PARAMETER_NAMES.has(n)) bad(`parameter name "${n}" is reserved (keys travel in a header only)`);
    properties[n] = parseParam(n, props[n]);
  }
  // Without a list, a parameter is required unless it has a default.
  const required = p.required ?? names.filter((n) => !isObj(props[n]) || (props[n] as Record<string, unknown>).default === undefined);
  if (!Array.isArray(required) || required.some((r) => typeof r !== 'string' || !names.includes(r))) bad('parameters.required must list declared parameters');
  return { type: 'object', properties, required: [...new Set(required as string[])].sort(), additionalProperties: false };
}

function parseControls(c: unknown): CallControls {
  if (!isObj(c)) return bad('controls (minUnits, roundTo, rowCap) are required');
  onlyKeys(c, ['minUnits', 'roundTo', 'rowCap'], 'controls');
  return {
    minUnits: int(c.minUnits, 'controls.minUnits', 1, 10_000),
    roundTo: int(c.roundTo ?? 1, 'controls.roundTo', 1, 1_000_000),
    rowCap: int(c.rowCap, 'controls.rowCap', 1, MAX_ROW_CAP),
  };
}

/** Validates and normalises a proposal; a refusal is PRODUCT_INVALID with what to change. */
export function parseProductSpec(input: unknown): ProductSpec {
  if (!isObj(input)) return bad('a product proposal is a JSON object');
  onlyKeys(input, ['product', 'title', 'scenario', 'sql', 'parameters', 'columns', 'unit', 'controls', 'price'], 'proposal');
  const product =
    typeof input.product === 'string' && PRODUCT_ID.test(input.product) ? input.product : bad(`product must be an id matching ${PRODUCT_ID.source}`);
  if (!Array.isArray(input.columns) || input.columns.length === 0 || input.columns.length > 50) bad('columns must list 1 to 50 output columns');
  const columns = (input.columns as unknown[]).map((c, i) => {
    const o = typeof c === 'string' ? { name: c } : isObj(c) ? c : bad(`columns[${i}] must be a name or {name, description}`);
    if (isObj(o)) onlyKeys(o, ['name', 'description'], `columns[${i}]`);
    const name = text(o.name, `columns[${i}].name`, 64);
    return { name, ...(o.description !== undefined ? { description: text(o.description, `columns[${i}].description`, 500) } : {}) };
  });
  if (new Set(columns.map((c) => c.name)).size !== columns.length) bad('column names repeat');
  if (input.unit !== 'person' && input.unit !== 'enterprise') bad('unit (of privacy) must be "person" or "enterprise"');
  return {
    product,
    title: text(input.title, 'title', 200),
    scenario: text(input.scenario, 'scenario', 100),
    sql: text(input.sql, 'sql', 20_000, 8),
    parameters: parseParameters(input.parameters),
    columns,
    unit: input.unit as ProductSpec['unit'],
    controls: parseControls(input.controls),
    price: input.price === undefined ? '' : text(input.price, 'price', 500, 0),
  };
}

/** The version's name: the hash of everything that was approved. */
export function versionHash(spec: ProductSpec): string {
  return createHash('sha256').update(canonicalJson(spec)).digest('hex');
}

/** The named parameters of DuckDB's own syntax tree of the template (positional ones are refused). */
export function checkTemplateParameters(statement: unknown, spec: ProductSpec): void {
  const seen = new Set<string>();
  const visit = (n: unknown): void => {
    if (Array.isArray(n)) {
      n.forEach(visit);
      return;
    }
    if (!isObj(n)) return;
    if (n.class === 'PARAMETER') {
      const id = String(n.identifier ?? '');
      if (/^\d+$/.test(id) || id === '') bad('the template must name its parameters ($name), not number them');
      if (!(id in spec.parameters.properties)) bad(`the template uses $${id.slice(0, 40)}, which the parameter schema does not declare`);
      seen.add(id);
    }
    Object.values(n).forEach(visit);
  };
  visit(statement);
  const unused = Object.keys(spec.parameters.properties).filter((k) => !seen.has(k));
  if (unused.length > 0) bad(`declared parameters the template never uses: ${unused.join(', ')}`);
  const unbound = Object.entries(spec.parameters.properties)
    .filter(([k, s]) => !spec.parameters.required.includes(k) && s.default === undefined)
    .map(([k]) => k);
  if (unbound.length > 0) bad(`a parameter the template uses is either required or has a default (a missing one would bind NULL): ${unbound.join(', ')}`);
}
