// Validates what a script passed to output(name, rowsOrColumns) and normalises it to
// { columns, rows } with inferred column types. Runs on the host, after the copy out of the
// isolate, so a script cannot bypass it.
import { OpError } from '../errors/index.ts';
import type { JobOutput, OutputColumn } from './protocol.ts';

export const OUTPUT_NAME = /^[a-z][a-z0-9_]{0,63}$/;
const MAX_COLUMNS = 256;

type Cell = string | number | boolean | null | Cell[] | { [k: string]: Cell };

const MAX_DEPTH = 8;

/** A list or struct value (what DuckDB's LIST and STRUCT give the script), copied as plain JSON. */
function nested(v: unknown, where: string, depth: number): Cell {
  if (depth > MAX_DEPTH) throw new OpError('SANDBOX_OUTPUT_INVALID', `${where}: lists and structs nest at most ${MAX_DEPTH} deep`);
  if (Array.isArray(v) || ArrayBuffer.isView(v)) return Array.from(v as ArrayLike<unknown>, (x) => nested(x, where, depth + 1));
  if (v !== null && typeof v === 'object') {
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) throw new OpError('SANDBOX_OUTPUT_INVALID', `${where}: only plain objects can be struct values`);
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, nested(x, where, depth + 1)]));
  }
  return cell(v, where, depth);
}

function cell(v: unknown, where: string, depth = 0): Cell {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'object') return nested(v, where, depth);
  throw new OpError('SANDBOX_OUTPUT_INVALID', `${where}: cells must be strings, numbers, booleans, lists, structs or null`);
}

function inferType(values: Iterable<unknown>): OutputColumn['type'] {
  let type: OutputColumn['type'] | undefined;
  for (const v of values) {
    if (v === null) continue;
    const t: OutputColumn['type'] =
      typeof v === 'object' ? 'JSON' : typeof v === 'string' ? 'VARCHAR' : typeof v === 'boolean' ? 'BOOLEAN' : Number.isInteger(v) ? 'BIGINT' : 'DOUBLE';
    if (!type) type = t;
    else if (type !== t) {
      if ((type === 'BIGINT' && t === 'DOUBLE') || (type === 'DOUBLE' && t === 'BIGINT')) type = 'DOUBLE';
      else if (type === 'JSON' || t === 'JSON') type = 'JSON';
      else return 'VARCHAR';
    }
  }
  return type ?? 'VARCHAR';
}

export function normalizeOutput(name: unknown, data: unknown): JobOutput {
  if (typeof name !== 'string' || !OUTPUT_NAME.test(name)) {
    throw new OpError('SANDBOX_OUTPUT_INVALID', 'output names are 1–64 characters: a lower-case letter, then letters, digits or _');
  }
  let colNames: string[];
  let rows: unknown[][];
  if (Array.isArray(data)) {
    const first = data[0];
    if (data.length > 0 && (first === null || typeof first !== 'object' || Array.isArray(first))) {
      throw new OpError('SANDBOX_OUTPUT_INVALID', `output "${name}": rows must be objects`);
    }
    colNames = data.length > 0 ? Object.keys(first as object) : [];
    rows = data.map((r, i) => {
      if (r === null || typeof r !== 'object' || Array.isArray(r)) throw new OpError('SANDBOX_OUTPUT_INVALID', `output "${name}": row ${i} is not an object`);
      const keys = Object.keys(r);
      if (keys.length !== colNames.length || keys.some((k, j) => k !== colNames[j])) {
        throw new OpError('SANDBOX_OUTPUT_INVALID', `output "${name}": row ${i} has different columns from row 0`);
      }
      return colNames.map((c) => cell((r as Record<string, unknown>)[c], `output "${name}" row ${i}`));
    });
  } else if (data && typeof data === 'object') {
    const cols = data as Record<string, unknown>;
    colNames = Object.keys(cols);
    const arrays = colNames.map((c) => {
      const a = cols[c];
      if (!Array.isArray(a) && !ArrayBuffer.isView(a)) throw new OpError('SANDBOX_OUTPUT_INVALID', `output "${name}": column "${c}" is not an array`);
      return Array.from(a as ArrayLike<unknown>);
    });
    const n = arrays[0]?.length ?? 0;
    if (arrays.some((a) => a.length !== n)) throw new OpError('SANDBOX_OUTPUT_INVALID', `output "${name}": columns have different lengths`);
    rows = Array.from({ length: n }, (_, i) => arrays.map((a) => cell(a[i], `output "${name}" row ${i}`)));
  } else {
    throw new OpError('SANDBOX_OUTPUT_INVALID', `output "${name}": pass an array of row objects or an object of columns`);
  }
  if (colNames.length > MAX_COLUMNS) throw new OpError('SANDBOX_OUTPUT_INVALID', `output "${name}": more than ${MAX_COLUMNS} columns`);
  for (const c of colNames) {
    if (c.length === 0 || c.length > 128) throw new OpError('SANDBOX_OUTPUT_INVALID', `output "${name}": column names are 1–128 characters`);
  }
  const columns = colNames.map((c, j) => ({ name: c, type: inferType(rows.map((r) => r[j])) }));
  return { name, columns, rows };
}
