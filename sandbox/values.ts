// Converting DuckDB results into JSON rows for sql() (sql.columns() reads vectors: columnar.ts).
import type { DuckDBResultReader } from '@duckdb/node-api';

const BIG_NUMERIC = /^(BIGINT|HUGEINT|UBIGINT|UHUGEINT|DECIMAL|UINTEGER)/;

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
