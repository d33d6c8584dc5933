// Builds a tenant's masked prod file and its dev sample from the raw store, inside DuckDB in
// one pass per table. Files are built under temporary names and renamed into place only
// after the leak check passes: a failed build leaves nothing half-written.
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { findDataset, usageComment } from '../datasets/index.ts';
import { OpError } from '../errors/index.ts';
import { scopeKeyHex } from './keys.ts';
import { findLeaks, rangeLeaks } from './leakCheck.ts';
import { compileDataset, quoteIdent, type DatasetPolicy, type TenantPolicy } from './policy.ts';
import type { SqlContext } from './operator.ts';

export interface BuildOptions {
  readonly rawPath: string;
  readonly prodPath: string;
  readonly devPath: string;
  readonly policy: TenantPolicy;
  readonly tenantKeyHex: string;
  /** Share of people (by token) copied into the dev file, 1–100. */
  readonly devSamplePercent: number;
  /** The authorization's own raw store (imported datasets, R13), when it has any. */
  readonly ownRawPath?: string | undefined;
}

export interface BuildResult {
  readonly policyHash: string;
  readonly rows: Readonly<Record<string, { prod: number; dev: number }>>;
}

function removeDb(path: string): void {
  rmSync(path, { force: true });
  rmSync(`${path}.wal`, { force: true });
}

/** Every column keeps its usage levels as its comment: the sandbox reads them from the file it runs on. */
async function commentUsage(con: DuckDBConnection, dp: DatasetPolicy, ctx: SqlContext): Promise<void> {
  const t = quoteIdent(dp.dataset);
  for (const f of dp.fields) {
    const names = f.op.toColumns
      ? f.op.toColumns(quoteIdent(f.field.name), f.params, f.field, ctx).map((c) => c.name)
      : f.op.name === 'drop'
        ? []
        : [f.field.name];
    const text = usageComment(f.usage, findDataset(dp.dataset)?.unit?.field === f.field.name).replaceAll("'", "''");
    for (const n of names) for (const db of ['main', 'dev']) await con.run(`COMMENT ON COLUMN ${db}.${t}.${quoteIdent(n)} IS '${text}'`);
  }
}

export async function buildTenantFiles(opts: BuildOptions): Promise<BuildResult> {
  if (!existsSync(opts.rawPath)) throw new OpError('SAMPLE_DATA_MISSING');
  if (!(opts.devSamplePercent >= 1 && opts.devSamplePercent <= 100)) throw new OpError('BAD_REQUEST', 'devSamplePercent must be from 1 to 100');
  mkdirSync(dirname(opts.prodPath), { recursive: true });
  const prodTmp = `${opts.prodPath}.building`;
  const devTmp = `${opts.devPath}.building`;
  removeDb(prodTmp);
  removeDb(devTmp);
  const ctx = { scopeKeyHex: (scope: string) => scopeKeyHex(opts.tenantKeyHex, scope) };
  const instance = await DuckDBInstance.create(prodTmp, { threads: '2' });
  const con = await instance.connect();
  const rows: Record<string, { prod: number; dev: number }> = {};
  let ok = false;
  try {
    await con.run(`ATTACH '${opts.rawPath.replaceAll("'", "''")}' AS raw (READ_ONLY)`);
    await con.run(`ATTACH '${devTmp.replaceAll("'", "''")}' AS dev`);
    const ownIds = opts.policy.datasets.filter((d) => findDataset(d.dataset)?.owner).map((d) => d.dataset);
    if (ownIds.length > 0) {
      if (!opts.ownRawPath || !existsSync(opts.ownRawPath)) throw new OpError('SAMPLE_DATA_MISSING', "the authorization's own raw store is missing");
      await con.run(`ATTACH '${opts.ownRawPath.replaceAll("'", "''")}' AS own (READ_ONLY)`);
    }
    const aliasOf = (dataset: string) => (ownIds.includes(dataset) ? 'own' : 'raw');
    for (const dp of opts.policy.datasets) {
      const t = quoteIdent(dp.dataset);
      await con.run(`CREATE TABLE main.${t} AS ${compileDataset(dp, `${aliasOf(dp.dataset)}.${t}`, ctx)}`);
      // Sample by person (the tokenised sample key) so a person keeps all their rows in every
      // dataset; if the policy removed the key column, sample rows by their own hash instead.
      const key = findDataset(dp.dataset)?.sampleKey;
      const keyKept = key && dp.fields.some((f) => f.field.name === key && f.op.name !== 'drop' && !f.op.toColumns);
      const rowHash = `hash(${dp.fields
        .flatMap((f) =>
          f.op.toColumns ? f.op.toColumns(quoteIdent(f.field.name), f.params, f.field, ctx).map((c) => c.name) : f.op.name === 'drop' ? [] : [f.field.name],
        )
        .map(quoteIdent)
        .join(', ')})`;
      const where = keyKept
        ? ` WHERE hash(${quoteIdent(key!)}) % 100 < ${Math.round(opts.devSamplePercent)}`
        : key
          ? ` WHERE ${rowHash} % 100 < ${Math.round(opts.devSamplePercent)}`
          : '';
      await con.run(`CREATE TABLE dev.${t} AS SELECT * FROM main.${t}${where}`);
      await commentUsage(con, dp, ctx);
      const n = await con.runAndReadAll(`SELECT (SELECT count(*) FROM main.${t})::BIGINT AS p, (SELECT count(*) FROM dev.${t})::BIGINT AS d`);
      const r = n.getRowObjectsJS()[0]!;
      rows[dp.dataset] = { prod: Number(r.p), dev: Number(r.d) };
    }
    const dbName = (await con.runAndReadAll('SELECT current_database() AS d')).getRowObjectsJS()[0]!.d as string;
    const own = { alias: 'own', datasets: ownIds.map((id) => findDataset(id)!) };
    const leaks = [...(await findLeaks(con, 'raw', [dbName, 'dev'], own)), ...(await rangeLeaks(con, aliasOf, opts.policy))];
    if (leaks.length > 0) {
      const first = leaks[0]!;
      throw new OpError(
        'MASK_LEAK_DETECTED',
        `raw values of ${first.rawField} appear in ${first.tenantColumn.replace(`${dbName}.`, 'prod.')} (${first.matches} values); the build was discarded`,
        {
          leaks: leaks.map((l) => ({ ...l, tenantColumn: l.tenantColumn.replace(`${dbName}.`, 'prod.') })),
        },
      );
    }
    await con.run('DETACH raw');
    if (ownIds.length > 0) await con.run('DETACH own');
    await con.run('CHECKPOINT dev');
    await con.run('DETACH dev');
    await con.run('CHECKPOINT');
    ok = true;
  } finally {
    con.closeSync();
    instance.closeSync();
    if (!ok) {
      removeDb(prodTmp);
      removeDb(devTmp);
    }
  }
  removeDb(opts.devPath);
  removeDb(opts.prodPath);
  renameSync(devTmp, opts.devPath);
  renameSync(prodTmp, opts.prodPath);
  return { policyHash: opts.policy.hash, rows };
}
