// Converting DuckDB results into what crosses into the isolate: JSON rows for sql(), and
// columns (typed arrays for null-free numeric columns) for sql.columns().
import type { DuckDBResultReader } from '@duckdb/node-api';

const BIG_NUMERIC = /^(BIGINT|HUGEINT|UBIGINT|UHUGEINT|DECIMAL|UINTEGER)/;
const INT32 = /^(TINYINT|SMALLINT|INTEGER|UTINYINT|USMALLINT)$/;
const FLOAT = /^(DOUBLE|FLOAT|REAL|BIGINT|HUGEINT|UBIGINT|UHUGEINT|DECIMAL|UINTEGER)/;

function typeNames(reader: DuckDBResultReader): string[] {
  return reader.columnTypes().map((t) => String(t));
}

/** Rows as plain objects; big integers and decimals become numbers (strings if not exact). */
export function rowsOf(reader: DuckDBResultReader): Record<string, unknown>[] {
  const rows = reader.getRowObjectsJson() as Record<string, unknown>[];
  const names = reader.deduplicatedColumnNames();
  const types = typeNames(reader);
  const numeric = names.filter((_, i) => BIG_NUMERIC.test(types[i]!));
  if (numeric.length > 0) {
    for (const row of rows) {
      for (const c of numeric) {
        const v = row[c];
        if (typeof v === 'string') {
          const n = Number(v);
          if (Number.isFinite(n) && (Number.isSafeInteger(n) || v.includes('.') || Math.abs(n) < 2 ** 53)) row[c] = n;
        }
      }
    }
  }
  return rows;
}

/** Columns by name: Int32Array / Float64Array where a numeric column has no NULLs. */
export function columnsOf(reader: DuckDBResultReader): Record<string, unknown[] | Float64Array | Int32Array> {
  const names = reader.deduplicatedColumnNames();
  const types = typeNames(reader);
  const json = reader.getColumnsJson() as unknown[][];
  const out: Record<string, unknown[] | Float64Array | Int32Array> = {};
  names.forEach((name, i) => {
    const values = json[i]!;
    const t = types[i]!;
    const hasNull = values.some((v) => v === null);
    if (!hasNull && INT32.test(t)) out[name] = Int32Array.from(values as number[]);
    else if (!hasNull && FLOAT.test(t)) out[name] = Float64Array.from(values, (v) => Number(v));
    else out[name] = values;
  });
  return out;
}
