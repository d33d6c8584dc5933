// `DESCRIBE table`, `SHOW TABLES` and `information_schema` questions from a script, answered from
// the authorization's own file and the catalog: which tables are granted, each column's type,
// usage levels (what the sandbox and an export may see of it), grade and description. Only names
// and kinds, never a value: SUMMARIZE and DESCRIBE of a query compute over the data and stay
// refused by the gate. An information_schema query runs in an empty in-memory database that holds
// the granted tables' shapes and nothing else, locked down like a tenant file: whatever it
// computes, there is no data in it to compute over.
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { OpError } from '../errors/index.ts';
import { findDataset, parseUsageComment } from '../datasets/index.ts';
import { lockedDownSettings } from './lockdown.ts';
import { refuseTable } from './tableNames.ts';

export type CatalogQuestion =
  | { readonly kind: 'tables' }
  | { readonly kind: 'describe'; readonly table: string }
  | { readonly kind: 'information_schema'; readonly sql: string };

const SHOW_TABLES = /^\s*SHOW\s+(?:ALL\s+)?TABLES\s*;?\s*$/i;
const DESCRIBE = /^\s*DESCRIBE\s+(?:"([^"]{1,100})"|([A-Za-z_][A-Za-z0-9_]{0,99}))\s*;?\s*$/i;
const INFORMATION_SCHEMA = /\binformation_schema\s*\./i;
/** The views an information_schema question may read. */
const INFORMATION_VIEWS: ReadonlySet<string> = new Set(['tables', 'columns']);
const MAX_META_ROWS = 10_000;

/** The question a statement asks of the catalog, or null for anything else (which goes to the gate). */
export function catalogQuestion(sql: string): CatalogQuestion | null {
  if (SHOW_TABLES.test(sql)) return { kind: 'tables' };
  const m = DESCRIBE.exec(sql);
  if (m) return { kind: 'describe', table: (m[1] ?? m[2])!.toLowerCase() };
  return INFORMATION_SCHEMA.test(sql) ? { kind: 'information_schema', sql } : null;
}

export interface ColumnInfo {
  readonly name: string;
  readonly type: string;
  readonly sandbox: string | null;
  readonly export: string | null;
}

export type FileSchema = ReadonlyMap<string, readonly ColumnInfo[]>;

/** The file's own tables (not the system's views) with each column's type and the levels its build wrote. */
export async function readFileSchema(con: DuckDBConnection): Promise<FileSchema> {
  const rows = (
    await con.runAndReadAll(
      "SELECT c.table_name, c.column_name, c.data_type, c.comment FROM duckdb_columns() c JOIN duckdb_tables() t USING (database_name, schema_name, table_name) WHERE c.schema_name = 'main' ORDER BY c.table_name, c.column_index",
    )
  ).getRowObjectsJS();
  const schema = new Map<string, ColumnInfo[]>();
  for (const r of rows) {
    const table = String(r.table_name).toLowerCase();
    const levels = parseUsageComment(r.comment);
    schema.set(table, [
      ...(schema.get(table) ?? []),
      { name: String(r.column_name).toLowerCase(), type: String(r.data_type), sandbox: levels?.sandbox ?? null, export: levels?.export ?? null },
    ]);
  }
  return schema;
}

/** What the catalog says of a column of a file: its grade and description (null for what it does not know). */
export function columnFacts(table: string, column: string): { grade: string | null; description: string | null; title: string | null } {
  const spec = findDataset(table);
  const f = spec?.fields.find((x) => x.name === column);
  return { grade: f?.grade ?? null, description: f?.description ?? null, title: spec?.title.en ?? null };
}

export interface CatalogAnswer {
  readonly columns: readonly string[];
  readonly rows: readonly Record<string, string | number | boolean | null>[];
  readonly tables: readonly string[];
}

/** Answers DESCRIBE and SHOW TABLES from the file's columns (what is granted) and the catalog (grades, descriptions). */
export function answerCatalogQuestion(q: Exclude<CatalogQuestion, { kind: 'information_schema' }>, schema: FileSchema): CatalogAnswer {
  if (q.kind === 'tables') {
    const tables = [...schema.keys()].sort();
    return {
      columns: ['table_name', 'title', 'columns'],
      rows: tables.map((t) => ({ table_name: t, title: columnFacts(t, '').title, columns: schema.get(t)!.length })),
      tables: [],
    };
  }
  const cols = schema.get(q.table);
  if (!cols) refuseTable(q.table, new Set(schema.keys()));
  return {
    columns: ['column_name', 'column_type', 'sandbox_level', 'export_level', 'grade', 'description'],
    rows: cols.map((c) => {
      const { grade, description } = columnFacts(q.table, c.name);
      return { column_name: c.name, column_type: c.type, sandbox_level: c.sandbox, export_level: c.export, grade, description };
    }),
    tables: [q.table],
  };
}

const quoteId = (name: string) => `"${name.replaceAll('"', '""')}"`;
const quoteText = (text: string) => `'${text.replaceAll("'", "''")}'`;

/**
 * The granted tables' shapes in an empty, locked-down in-memory database, where DuckDB's own
 * information_schema views describe them: a column's comment carries its grade, usage levels
 * and description, a table's its catalog title.
 */
export class MetadataDb {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly con: DuckDBConnection,
  ) {}

  static async create(schema: FileSchema): Promise<MetadataDb> {
    // Writable (it holds the shapes it is given), otherwise behind the tenant files' walls; settings locked from the start.
    const instance = await DuckDBInstance.create(':memory:', lockedDownSettings({ duckdbMemoryMb: 64, duckdbThreads: 1 }));
    const con = await instance.connect();
    for (const [table, cols] of schema) {
      await con.run(`CREATE TABLE ${quoteId(table)} (${cols.map((c) => `${quoteId(c.name)} ${c.type}`).join(', ')})`);
      const title = columnFacts(table, '').title;
      if (title) await con.run(`COMMENT ON TABLE ${quoteId(table)} IS ${quoteText(title)}`);
      for (const c of cols) {
        const { grade, description } = columnFacts(table, c.name);
        const comment = [grade && `grade ${grade}`, c.sandbox && `sandbox ${c.sandbox}`, c.export && `export ${c.export}`, description]
          .filter(Boolean)
          .join(' · ');
        if (comment) await con.run(`COMMENT ON COLUMN ${quoteId(table)}.${quoteId(c.name)} IS ${quoteText(comment)}`);
      }
    }
    return new MetadataDb(instance, con);
  }

  /** Runs an information_schema question; any other table, a table function or a CTE is refused. */
  async answer(sql: string): Promise<CatalogAnswer> {
    await this.checkReadsOnlyViews(sql);
    let reader: Awaited<ReturnType<DuckDBConnection['runAndReadUntil']>>;
    try {
      reader = await this.con.runAndReadUntil(sql, MAX_META_ROWS + 1);
    } catch (err) {
      throw new OpError(
        'SQL_EXECUTION_ERROR',
        String((err as Error).message ?? err)
          .split('\n')[0]!
          .slice(0, 300),
      );
    }
    if (reader.currentRowCount > MAX_META_ROWS)
      throw new OpError('SANDBOX_RESULT_TOO_LARGE', `an information_schema answer has more than ${MAX_META_ROWS} rows`);
    const columns = reader.deduplicatedColumnNames();
    const rows = reader.getRowObjectsJS().map((r) => Object.fromEntries(columns.map((c) => [c, plain(r[c])])));
    return { columns, rows, tables: [] };
  }

  private async checkReadsOnlyViews(sql: string): Promise<void> {
    const serialized = (await this.con.runAndReadAll(`SELECT json_serialize_sql(${quoteText(sql)}) AS j`)).getRowObjectsJS()[0]?.j;
    const tree = JSON.parse(String(serialized)) as { error?: boolean; error_message?: string; statements?: unknown[] };
    if (tree.error) throw new OpError('SQL_PARSE_ERROR', String(tree.error_message ?? 'the question could not be parsed').slice(0, 300));
    if (tree.statements?.length !== 1) throw new OpError('SQL_MULTIPLE_STATEMENTS', 'one question at a time');
    const refs: { type: string; schema: string; table: string }[] = [];
    const walk = (n: unknown): void => {
      if (Array.isArray(n)) {
        n.forEach(walk);
        return;
      }
      if (!n || typeof n !== 'object') return;
      const o = n as Record<string, unknown>;
      if (o.type === 'BASE_TABLE' || o.type === 'TABLE_FUNCTION')
        refs.push({ type: String(o.type), schema: String(o.schema_name ?? '').toLowerCase(), table: String(o.table_name ?? '').toLowerCase() });
      if (
        o.cte_map &&
        typeof o.cte_map === 'object' &&
        Array.isArray((o.cte_map as { map?: unknown[] }).map) &&
        (o.cte_map as { map: unknown[] }).map.length > 0
      )
        refs.push({ type: 'CTE', schema: '', table: '' });
      Object.values(o).forEach(walk);
    };
    walk(tree.statements);
    const wrong = refs.filter((r) => r.type !== 'BASE_TABLE' || r.schema !== 'information_schema' || !INFORMATION_VIEWS.has(r.table));
    if (wrong.length > 0 || refs.length === 0) {
      throw new OpError(
        'SQL_TABLE_NOT_ALLOWED',
        'an information_schema question reads only information_schema.tables and information_schema.columns (no other table, table function or WITH); query the granted tables themselves in a query of their own',
      );
    }
  }

  close(): void {
    this.con.closeSync();
    this.instance.closeSync();
  }
}

function plain(v: unknown): string | number | boolean | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  return String(v);
}
