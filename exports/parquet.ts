// Parquet copy of a bundle's output, written by DuckDB (in memory, typed columns appended
// value by value so an empty string stays an empty string and a number stays a number).
import { DuckDBInstance } from '@duckdb/node-api';
import { quoteIdent } from '../masking/index.ts';

const TYPES = new Set(['VARCHAR', 'DOUBLE', 'BIGINT', 'BOOLEAN']);

export async function writeParquet(path: string, columns: readonly { name: string; type?: string }[], rows: readonly (readonly unknown[])[]): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:', { threads: '1', autoinstall_known_extensions: 'false', autoload_known_extensions: 'false' });
  const con = await instance.connect();
  try {
    const types = columns.map((c) => (c.type && TYPES.has(c.type) ? c.type : 'VARCHAR'));
    await con.run(`CREATE TABLE t (${columns.map((c, j) => `${quoteIdent(c.name)} ${types[j]}`).join(', ')})`);
    const app = await con.createAppender('t');
    for (const r of rows) {
      types.forEach((t, j) => {
        const v = r[j];
        if (v === null || v === undefined || (t !== 'VARCHAR' && typeof v === 'number' && !Number.isFinite(v))) app.appendNull();
        else if (t === 'DOUBLE') app.appendDouble(Number(v));
        else if (t === 'BIGINT') app.appendBigInt(BigInt(Math.trunc(Number(v))));
        else if (t === 'BOOLEAN') app.appendBoolean(Boolean(v));
        else app.appendVarchar(String(v));
      });
      app.endRow();
    }
    app.closeSync();
    await con.run(`COPY t TO '${path.replaceAll("'", "''")}' (FORMAT parquet, COMPRESSION zstd)`);
  } finally {
    con.closeSync();
    instance.closeSync();
  }
}
