// Reads a query result column by column, chunk by chunk, straight from DuckDB's vectors:
// numeric columns without NULLs become Float64Array / Int32Array without any per-row object
// or string conversion (sql.columns()). Also gives the bytes and a hash for the audit record.
import { createHash } from 'node:crypto';
import type { DuckDBConnection, DuckDBResult, DuckDBValue } from '@duckdb/node-api';
import { OpError } from '../errors/index.ts';

const INT32 = new Set(['TINYINT', 'SMALLINT', 'INTEGER', 'UTINYINT', 'USMALLINT']);
const FLOAT = new Set(['DOUBLE', 'FLOAT', 'BIGINT', 'HUGEINT', 'UBIGINT', 'UINTEGER', 'UHUGEINT']);

type Column = { name: string; kind: 'int32' | 'float64' | 'json'; ints?: Int32Array; floats?: Float64Array; values?: unknown[] };

export interface ColumnarResult {
  readonly columns: Record<string, unknown[] | Float64Array | Int32Array>;
  readonly rowCount: number;
  readonly bytes: number;
  readonly hash: string;
}

function grow<T extends Float64Array | Int32Array>(a: T, need: number): T {
  if (need <= a.length) return a;
  const next = new (a.constructor as new (n: number) => T)(Math.max(need, a.length * 2));
  next.set(a);
  return next;
}

function plain(v: DuckDBValue): unknown {
  if (v === null || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'bigint') return Number(v);
  return String(v);
}

/**
 * Fast path: a NULL-free vector whose items are a typed array (DuckDB node-api keeps them as
 * `items`, with `validity.data === null` when every row is valid) is copied in bulk. Relies on
 * node-api internals, so anything unexpected falls back to the public getItem() loop.
 */
function bulkCopy(vector: unknown, into: Float64Array | Int32Array, at: number, n: number): boolean {
  const v = vector as { items?: unknown; validity?: { data?: unknown } };
  const items = v.items;
  if (!v.validity || v.validity.data !== null || !ArrayBuffer.isView(items) || (items as unknown as ArrayLike<unknown>).length !== n) return false;
  if (
    items instanceof Float64Array ||
    items instanceof Int32Array ||
    items instanceof Int16Array ||
    items instanceof Int8Array ||
    items instanceof Uint8Array ||
    items instanceof Uint16Array ||
    items instanceof Float32Array ||
    items instanceof Uint32Array
  ) {
    if (into instanceof Int32Array && (items instanceof Float64Array || items instanceof Float32Array || items instanceof Uint32Array)) return false;
    into.set(items, at);
    return true;
  }
  if (items instanceof BigInt64Array || items instanceof BigUint64Array) {
    if (!(into instanceof Float64Array)) return false;
    for (let i = 0; i < n; i++) into[at + i] = Number(items[i]);
    return true;
  }
  return false;
}

export async function readColumns(con: DuckDBConnection, sql: string, params: DuckDBValue[], maxRows: number): Promise<ColumnarResult> {
  return readResultColumns(await con.stream(sql, params), maxRows);
}

/** The columns of a started result (a job streams from its cached prepared statements). */
export async function readResultColumns(result: DuckDBResult, maxRows: number): Promise<ColumnarResult> {
  const cols: Column[] = result.deduplicatedColumnNames().map((name, i) => {
    const t = String(result.columnType(i)).replace(/\(.*$/, '');
    const kind = INT32.has(t) ? 'int32' : FLOAT.has(t) || t === 'DECIMAL' ? 'float64' : 'json';
    return { name, kind, ...(kind === 'int32' ? { ints: new Int32Array(4096) } : kind === 'float64' ? { floats: new Float64Array(4096) } : { values: [] }) };
  });
  let rows = 0;
  for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
    const n = chunk.rowCount;
    if (rows + n > maxRows) throw new OpError('SANDBOX_RESULT_TOO_LARGE', `the result has more than ${maxRows} rows`);
    cols.forEach((c, ci) => {
      if (c.kind === 'json') {
        for (const v of chunk.getColumnValues(ci)) c.values!.push(plain(v));
        return;
      }
      const vector = chunk.getColumnVector(ci);
      if (c.kind === 'int32') c.ints = grow(c.ints!, rows + n);
      else c.floats = grow(c.floats!, rows + n);
      const a = c.kind === 'int32' ? c.ints! : c.floats!;
      if (bulkCopy(vector, a, rows, n)) return;
      for (let r = 0; r < n; r++) {
        const v = vector.getItem(r);
        if (v !== null) {
          a[rows + r] = Number(v);
          continue;
        }
        // A NULL: this column cannot be a typed array; carry on as plain values.
        c.values = Array.from(a.subarray(0, rows + r));
        for (let k = r; k < n; k++) c.values.push(plain(vector.getItem(k)));
        c.kind = 'json';
        delete c.ints;
        delete c.floats;
        break;
      }
    });
    rows += n;
  }
  const hash = createHash('sha256');
  let bytes = 0;
  const columns: ColumnarResult['columns'] = {};
  for (const c of cols) {
    hash.update(`${c.name}\0`);
    if (c.kind === 'json') {
      const values = c.values!;
      const text = JSON.stringify(values);
      bytes += text.length;
      hash.update(text);
      columns[c.name] = values;
    } else {
      const a = (c.ints ?? c.floats)!.slice(0, rows);
      bytes += a.byteLength;
      hash.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
      columns[c.name] = a;
    }
  }
  return { columns, rowCount: rows, bytes, hash: hash.digest('hex') };
}
