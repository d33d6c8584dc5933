// Loads a department's real file (CSV or Parquet) into the raw store as a new version of a
// catalog dataset. The whole file is checked against the catalog entry first — columns,
// types, required fields — and refused whole with a report of the first bad rows column by
// column; the raw store is changed only in one transaction after every check passed.
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, existsSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { basename, dirname, extname } from 'node:path';
// DuckDB's bindings load when a file is read, not when the catalog is (CLI start-up).
import type { DuckDBConnection } from '@duckdb/node-api';
import { OpError } from '../errors/index.ts';
import { datasetVersions, type DatasetVersion } from './generate.ts';
import { profileFile, type FileProfile } from './ownDataset.ts';
import type { DatasetSpec } from './types.ts';

export interface ImportProblem {
  /** The column it concerns; for a malformed line, the column where reading it failed ('' when none). */
  readonly column: string;
  readonly issue: 'missing_column' | 'unexpected_column' | 'wrong_type' | 'required_empty' | 'malformed_line' | 'empty_file';
  readonly count: number;
  /**
   * The first bad rows with their values: `row` is the 1-based data row (the header is not a
   * row), `line` the 1-based line of the file where the record starts (the header is line 1).
   * A malformed line carries what was wrong in `value` (e.g. "expected 7 fields, found 2").
   */
  readonly examples: readonly { row?: number; line?: number; value: string | null }[];
}

export interface ImportReport {
  readonly dataset: string;
  /** The file's name as its sender knows it (never a path on the server). */
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

/**
 * The header of a CSV file: the first record, read as RFC 4180 fields (comma, double quotes,
 * doubled quotes inside them), a UTF-8 byte order mark dropped. Read by hand because DuckDB's
 * sniffer guesses the dialect from the same lines that may be malformed, and then misreads the
 * whole file (an unclosed quote swallowed every later row; a short row made every column
 * "missing"): the dialect is fixed, and the header decides the columns.
 */
export function csvHeader(file: string): string[] | null {
  const fd = openSync(file, 'r');
  let text: string;
  try {
    const buf = Buffer.alloc(64 * 1024);
    text = buf
      .subarray(0, readSync(fd, buf, 0, buf.length, 0))
      .toString('utf8')
      .replace(/^\uFEFF/, '');
  } finally {
    closeSync(fd);
  }
  if (text.trim() === '') return null;
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted && ch === '"' && text[i + 1] === '"') {
      field += '"';
      i++;
    } else if (ch === '"') {
      quoted = !quoted;
    } else if (!quoted && ch === ',') {
      fields.push(field);
      field = '';
    } else if (!quoted && (ch === '\n' || ch === '\r')) {
      break;
    } else {
      field += ch;
    }
  }
  fields.push(field);
  return fields.map((f) => f.trim());
}

/** DuckDB's reader with the dialect fixed: every line that does not fit it is kept aside, with its line number. */
function reader(file: string, header: readonly string[] | null): string {
  const ext = extname(file).toLowerCase();
  if (ext === '.parquet') return `read_parquet(${lit(file)})`;
  if (ext !== '.csv') throw new OpError('IMPORT_INVALID', 'only .csv and .parquet files can be imported');
  const columns = `{${header!.map((h, i) => `${lit(h === '' ? `column${i + 1}` : h)}: 'VARCHAR'`).join(', ')}}`;
  return `read_csv(${lit(file)}, auto_detect = false, header = true, delim = ',', quote = '"', escape = '"', columns = ${columns}, strict_mode = true, null_padding = false, store_rejects = true, rejects_limit = 0)`;
}

/** What DuckDB said of a malformed line, in words for the sender. */
function lineProblem(errorType: string, message: string, expected: number): string {
  const found = /Found: (\d+)/.exec(message)?.[1];
  if (errorType === 'MISSING COLUMNS' || errorType === 'TOO MANY COLUMNS')
    return `expected ${expected} fields, found ${found ?? (errorType === 'TOO MANY COLUMNS' ? 'more' : 'fewer')}`;
  if (/unterminated quote/i.test(message)) return 'a quoted value is never closed';
  if (errorType === 'UNQUOTED VALUE') return 'a quote inside a value that is not quoted';
  if (errorType === 'INVALID ENCODING' || errorType === 'INVALID UNICODE') return 'not valid UTF-8';
  return errorType.toLowerCase();
}

/** A DuckDB message about the file, without the server's path to it. */
const withoutPath = (message: string, file: string, name: string) => message.split('\n')[0]!.replaceAll(file, name).slice(0, 300);

export async function checkFile(
  con: DuckDBConnection,
  spec: DatasetSpec,
  file: string,
  name = basename(file),
): Promise<{ rows: number; problems: ImportProblem[] }> {
  const csv = extname(file).toLowerCase() === '.csv';
  const header = csv ? csvHeader(file) : null;
  if (csv && header === null) return { rows: 0, problems: [{ column: '', issue: 'empty_file', count: 0, examples: [] }] };
  if (header) {
    // The header alone decides the columns: a bad header is reported as such, not through every row.
    const problems: ImportProblem[] = [];
    for (const f of spec.fields)
      if (!header.includes(f.name)) problems.push({ column: f.name, issue: 'missing_column', count: 0, examples: [{ line: 1, value: null }] });
    for (const c of header)
      if (!spec.fields.some((f) => f.name === c)) problems.push({ column: c, issue: 'unexpected_column', count: 0, examples: [{ line: 1, value: null }] });
    if (problems.length > 0) return { rows: 0, problems };
  }
  try {
    await con.run(`CREATE TEMP TABLE src AS SELECT row_number() OVER () AS __row, COLUMNS(*)::VARCHAR FROM ${reader(file, header)}`);
  } catch (err) {
    if (err instanceof OpError) throw err;
    throw new OpError('IMPORT_INVALID', `${name} cannot be read as ${extname(file).slice(1)}: ${withoutPath(String((err as Error).message), file, name)}`);
  }
  if (csv) {
    // One problem a line (DuckDB names each missing field of a short line): the first reason, by line.
    const rejects = (
      await con.runAndReadAll(
        'SELECT line::BIGINT AS line, arg_min(column_name, column_idx) AS col, arg_min(error_type, column_idx) AS type, arg_min(error_message, column_idx) AS msg FROM reject_errors GROUP BY line ORDER BY line',
      )
    ).getRowObjectsJS();
    if (rejects.length > 0) {
      return {
        rows: 0,
        problems: [
          {
            column: '',
            issue: 'malformed_line',
            count: rejects.length,
            examples: rejects.slice(0, 10).map((r) => ({ line: Number(r.line), value: lineProblem(String(r.type), String(r.msg), header!.length) })),
          },
        ],
      };
    }
  }
  const cols = (await con.runAndReadAll("SELECT column_name FROM duckdb_columns() WHERE table_name = 'src' AND column_name <> '__row'"))
    .getRowObjectsJS()
    .map((r) => String(r.column_name));
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
export async function importDatasetFile(
  rawPath: string,
  spec: DatasetSpec,
  file: string,
  name = basename(file),
): Promise<{ report: ImportReport; version: DatasetVersion }> {
  if (!existsSync(file) || !statSync(file).isFile()) throw new OpError('IMPORT_INVALID', `no such file: ${name}`);
  if (statSync(file).size > MAX_IMPORT_BYTES) throw new OpError('IMPORT_INVALID', 'the file is too large');
  const fileSha256 = await sha256File(file);
  mkdirSync(dirname(rawPath), { recursive: true });
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:', { threads: '2', autoinstall_known_extensions: 'false', autoload_known_extensions: 'false' });
  const con = await instance.connect();
  try {
    const { rows, problems } = await checkFile(con, spec, file, name);
    const report: ImportReport = { dataset: spec.id, file: name, fileSha256, rows, problems };
    if (problems.length > 0) throw new OpError('IMPORT_INVALID', `${name} does not fit catalog entry ${spec.id}: ${describeProblems(problems)}`, { report });
    const select = spec.fields
      .map((f) => `${f.type === 'VARCHAR' ? `NULLIF(trim(${q(f.name)}), '')` : `TRY_CAST(NULLIF(trim(${q(f.name)}), '') AS ${f.type})`} AS ${q(f.name)}`)
      .join(', ');
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
export async function inspectOwnFile(spec: DatasetSpec, file: string, name = basename(file)): Promise<{ report: ImportReport; profile: FileProfile | null }> {
  if (!existsSync(file) || !statSync(file).isFile()) throw new OpError('IMPORT_INVALID', `no such file: ${name}`);
  const fileSha256 = await sha256File(file);
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:', { threads: '2', autoinstall_known_extensions: 'false', autoload_known_extensions: 'false' });
  const con = await instance.connect();
  try {
    const { rows, problems } = await checkFile(con, spec, file, name);
    const report: ImportReport = { dataset: spec.id, file: name, fileSha256, rows, problems };
    return { report, profile: problems.length === 0 ? await profileFile(con, spec, rows) : null };
  } finally {
    con.closeSync();
    instance.closeSync();
  }
}

/** Problems in a sentence: what, where (the first row or line), how many. */
export function describeProblems(problems: readonly ImportProblem[]): string {
  return problems
    .map((p) => {
      const first = p.examples[0];
      const at = first?.line !== undefined ? `line ${first.line}` : first?.row !== undefined ? `row ${first.row}` : '';
      const what =
        p.issue === 'malformed_line'
          ? `${p.count} malformed line${p.count === 1 ? '' : 's'}`
          : `${p.column ? `${p.column} ` : ''}${p.issue.replaceAll('_', ' ')}`;
      const detail = p.issue === 'malformed_line' && first?.value ? `: ${first.value}` : '';
      const count = p.issue === 'malformed_line' || p.count === 0 ? '' : ` (${p.count})`;
      return `${what}${count}${at ? ` at ${at}` : ''}${detail}`;
    })
    .join(', ');
}
