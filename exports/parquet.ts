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
    const json = columns.map((c) => c.type === 'JSON');
    await con.run(`CREATE TABLE t (${columns.map((c, j) => `${quoteIdent(c.name)} ${types[j]}`).join(', ')})`);
    const app = await con.createAppender('t');
    for (const r of rows) {
      types.forEach((t, j) => {
        const v = r[j];
        if (v === null || v === undefined || (t !== 'VARCHAR' && typeof v === 'number' && !Number.isFinite(v))) app.appendNull();
        else if (t === 'DOUBLE') app.appendDouble(Number(v));
        else if (t === 'BIGINT') app.appendBigInt(BigInt(Math.trunc(Number(v))));
        else if (t === 'BOOLEAN') app.appendBoolean(Boolean(v));
        else app.appendVarchar(typeof v === 'object' ? JSON.stringify(v) : String(v));
      });
      app.endRow();
    }
    app.closeSync();
    // Lists and structs leave typed: the column's structure over every row, then parsed into it.
    const select: string[] = [];
    for (const [j, c] of columns.entries()) {
      const q = quoteIdent(c.name);
      if (!json[j]) {
        select.push(q);
        continue;
      }
      const r = await con.runAndReadAll(`SELECT CAST(json_group_structure(CAST(${q} AS JSON)) AS VARCHAR) AS s FROM t WHERE ${q} IS NOT NULL`);
      // JSON reads non-negative integers as UBIGINT; a signed BIGINT is what a reader expects.
      const structure = r.getRowObjectsJS()[0]?.s?.toString().replaceAll('"UBIGINT"', '"BIGINT"');
      select.push(structure ? `from_json(CAST(${q} AS JSON), '${String(structure).replaceAll("'", "''")}') AS ${q}` : `CAST(${q} AS JSON) AS ${q}`);
    }
    await con.run(`COPY (SELECT ${select.join(', ')} FROM t) TO '${path.replaceAll("'", "''")}' (FORMAT parquet, COMPRESSION zstd)`);
  } finally {
    con.closeSync();
    instance.closeSync();
  }
}
