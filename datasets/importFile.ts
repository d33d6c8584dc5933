// Loads a department's real file (CSV or Parquet) into the raw store as a new version of a
// catalog dataset. The whole file is checked against the catalog entry first — columns,
// types, required fields — and refused whole with a report of the first bad rows column by
// column; the raw store is changed only in one transaction after every check passed.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, extname } from 'node:path';
// DuckDB's bindings load when a file is read, not when the catalog is (CLI start-up).
import type { DuckDBConnection } from '@duckdb/node-api';
import { OpError } from '../errors/index.ts';
import { datasetVersions, type DatasetVersion } from './generate.ts';
import { profileFile, type FileProfile } from './ownDataset.ts';
import type { DatasetSpec } from './types.ts';

export interface ImportProblem {
  readonly column: string;
  readonly issue: 'missing_column' | 'unexpected_column' | 'wrong_type' | 'required_empty';
  readonly count: number;
  /** The first bad rows (1-based data row numbers) with their values. */
  readonly examples: readonly { row: number; value: string | null }[];
}

export interface ImportReport {
  readonly dataset: string;
  readonly file: string;
  readonly fileSha256: string;
  readonly rows: number;
  readonly problems: readonly ImportProblem[];
}

/** sha256 of a file read as a stream (imports may be many gigabytes). */
export async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

export const MAX_IMPORT_BYTES = 20 * 1024 * 1024 * 1024;
const q = (name: string) => `"${name.replaceAll('"', '""')}"`;
const lit = (s: string) => `'${s.replaceAll("'", "''")}'`;

export function reader(file: string): string {
  const ext = extname(file).toLowerCase();
  if (ext === '.csv') return `read_csv(${lit(file)}, all_varchar = true, header = true, auto_detect = true)`;
  if (ext === '.parquet') return `read_parquet(${lit(file)})`;
  throw new OpError('IMPORT_INVALID', 'only .csv and .parquet files can be imported');
}

export async function checkFile(con: DuckDBConnection, spec: DatasetSpec, file: string): Promise<{ rows: number; problems: ImportProblem[] }> {
  try {
    await con.run(`CREATE TEMP TABLE src AS SELECT row_number() OVER () AS __row, COLUMNS(*)::VARCHAR FROM ${reader(file)}`);
  } catch (err) {
    if (err instanceof OpError) throw err;
    throw new OpError('IMPORT_INVALID', `the file cannot be read as ${extname(file).slice(1)}: ${String((err as Error).message).split('\n')[0]!.slice(0, 300)}`);
  }
  const cols = (await con.runAndReadAll("SELECT column_name FROM duckdb_columns() WHERE table_name = 'src' AND column_name <> '__row'")).getRowObjectsJS().map((r) => String(r.column_name));
  const rows = Number((await con.runAndReadAll('SELECT count(*)::BIGINT AS n FROM src')).getRowObjectsJS()[0]!.n);
  const problems: ImportProblem[] = [];
  for (const f of spec.fields) if (!cols.includes(f.name)) problems.push({ column: f.name, issue: 'missing_column', count: rows, examples: [] });
  for (const c of cols) if (!spec.fields.some((f) => f.name === c)) problems.push({ column: c, issue: 'unexpected_column', count: rows, examples: [] });
  if (problems.length > 0) return { rows, problems };
  const check = async (column: string, issue: ImportProblem['issue'], where: string) => {
    const n = Number((await con.runAndReadAll(`SELECT count(*)::BIGINT AS n FROM src WHERE ${where}`)).getRowObjectsJS()[0]!.n);
    if (n === 0) return;
    const ex = (await con.runAndReadAll(`SELECT __row::BIGINT AS r, ${q(column)} AS v FROM src WHERE ${where} ORDER BY __row LIMIT 5`)).getRowObjectsJS();
    problems.push({ column, issue, count: n, examples: ex.map((e) => ({ row: Number(e.r), value: e.v === null ? null : String(e.v).slice(0, 100) })) });
  };
  for (const f of spec.fields) {
    const c = q(f.name);
    if (f.type !== 'VARCHAR') await check(f.name, 'wrong_type', `${c} IS NOT NULL AND trim(${c}) <> '' AND TRY_CAST(${c} AS ${f.type}) IS NULL`);
    if (f.required) await check(f.name, 'required_empty', `${c} IS NULL OR trim(${c}) = ''`);
  }
  return { rows, problems };
}

/**
 * Checks `file` against `spec` and, if it fits, replaces the dataset's table in the raw store
 * in one transaction. Throws IMPORT_INVALID (with the report in details) when it does not fit.
 */
export async function importDatasetFile(rawPath: string, spec: DatasetSpec, file: string): Promise<{ report: ImportReport; version: DatasetVersion }> {
  if (!existsSync(file) || !statSync(file).isFile()) throw new OpError('IMPORT_INVALID', `no such file: ${file}`);
  if (statSync(file).size > MAX_IMPORT_BYTES) throw new OpError('IMPORT_INVALID', 'the file is too large');
  const fileSha256 = await sha256File(file);
  mkdirSync(dirname(rawPath), { recursive: true });
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:', { threads: '2', autoinstall_known_extensions: 'false', autoload_known_extensions: 'false' });
  const con = await instance.connect();
  try {
    const { rows, problems } = await checkFile(con, spec, file);
    const report: ImportReport = { dataset: spec.id, file, fileSha256, rows, problems };
    if (problems.length > 0) {
      throw new OpError('IMPORT_INVALID', `${file} does not fit catalog entry ${spec.id}: ${problems.map((p) => `${p.column} ${p.issue.replace('_', ' ')} (${p.count})`).join(', ')}`, { report });
    }
    const select = spec.fields.map((f) => (f.type === 'VARCHAR' ? `NULLIF(trim(${q(f.name)}), '')` : `TRY_CAST(NULLIF(trim(${q(f.name)}), '') AS ${f.type})`) + ` AS ${q(f.name)}`).join(', ');
    await con.run(`ATTACH ${lit(rawPath)} AS raw`);
    await con.run('BEGIN TRANSACTION');
    try {
      await con.run(`CREATE OR REPLACE TABLE raw.${q(spec.id)} AS SELECT ${select} FROM src ORDER BY __row`);
      await con.run('COMMIT');
    } catch (err) {
      await con.run('ROLLBACK');
      throw err;
    }
    const [version] = await datasetVersions(con, 'raw.', [spec]);
    await con.run('DETACH raw');
    return { report, version: version! };
  } finally {
    con.closeSync();
    instance.closeSync();
  }
}

/** Checks an operator's file against its declared entry and profiles it; changes nothing. */
export async function inspectOwnFile(spec: DatasetSpec, file: string): Promise<{ report: ImportReport; profile: FileProfile | null }> {
  if (!existsSync(file) || !statSync(file).isFile()) throw new OpError('IMPORT_INVALID', `no such file: ${file}`);
  const fileSha256 = await sha256File(file);
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:', { threads: '2', autoinstall_known_extensions: 'false', autoload_known_extensions: 'false' });
  const con = await instance.connect();
  try {
    const { rows, problems } = await checkFile(con, spec, file);
    const report: ImportReport = { dataset: spec.id, file, fileSha256, rows, problems };
    return { report, profile: problems.length === 0 ? await profileFile(con, spec, rows) : null };
  } finally {
    con.closeSync();
    instance.closeSync();
  }
}
