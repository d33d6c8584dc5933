// Times CREATE TABLE … AS <select> into a fresh DuckDB file with the raw store attached, the
// shape every load benchmark compares (masked vs plain), then removes the file.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

export async function timedCtas(dir: string, rawPath: string, tables: readonly { name: string; select: string }[], tag: string): Promise<number> {
  const path = join(dir, `ctas-${tag}.duckdb`);
  const inst = await DuckDBInstance.create(path, { threads: '2' });
  const con = await inst.connect();
  try {
    await con.run(`ATTACH '${rawPath}' AS raw (READ_ONLY)`);
    const t = performance.now();
    for (const { name, select } of tables) await con.run(`CREATE TABLE "${name}" AS ${select}`);
    await con.run('CHECKPOINT');
    return performance.now() - t;
  } finally {
    con.closeSync();
    inst.closeSync();
    rmSync(path, { force: true });
  }
}
