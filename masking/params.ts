// Helpers for operators' validate(): read typed parameters or fail with MASK_BAD_PARAMS.
import { OpError } from '../errors/index.ts';

export function asParams(op: string, params: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (params === undefined || params === null) return {};
  if (typeof params !== 'object' || Array.isArray(params)) throw new OpError('MASK_BAD_PARAMS', `${op}: parameters must be an object`);
  const p = params as Record<string, unknown>;
  for (const k of Object.keys(p)) {
    if (!allowed.includes(k)) throw new OpError('MASK_BAD_PARAMS', `${op}: unknown parameter "${k}" (allowed: ${allowed.join(', ') || 'none'})`);
  }
  return p;
}

export function intParam(op: string, p: Record<string, unknown>, key: string, def: number | undefined, min: number, max: number): number {
  const v = p[key] ?? def;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new OpError('MASK_BAD_PARAMS', `${op}: "${key}" must be an integer from ${min} to ${max}`);
  }
  return v;
}

export function numParam(op: string, p: Record<string, unknown>, key: string): number {
  const v = p[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new OpError('MASK_BAD_PARAMS', `${op}: "${key}" must be a finite number`);
  return v;
}

export function enumParam<T extends string>(op: string, p: Record<string, unknown>, key: string, values: readonly T[], def?: T): T {
  const v = p[key] ?? def;
  if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) {
    throw new OpError('MASK_BAD_PARAMS', `${op}: "${key}" must be one of ${values.join(', ')}`);
  }
  return v as T;
}

export function sqlLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** A parameter naming another field of the same dataset (checked against the dataset by the policy). */
export function fieldParam(op: string, p: Record<string, unknown>, key: string): string {
  const v = p[key];
  if (typeof v !== 'string' || !/^[a-z][a-z0-9_]{0,62}$/.test(v)) throw new OpError('MASK_BAD_PARAMS', `${op}: "${key}" must name a field (e.g. id_card)`);
  return v;
}
