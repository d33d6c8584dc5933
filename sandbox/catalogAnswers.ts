// `DESCRIBE table` and `SHOW TABLES` from a script, answered from the authorization's own file
// and the catalog: which tables are granted, each column's type, usage levels (what the sandbox
// and an export may see of it), grade and description. Only names and kinds, never a value:
// SUMMARIZE and DESCRIBE of a query compute over the data and stay refused by the gate.
import type { DuckDBConnection } from '@duckdb/node-api';
import { findDataset, parseUsageComment } from '../datasets/index.ts';
import { refuseTable } from './tableNames.ts';

export type CatalogQuestion = { readonly kind: 'tables' } | { readonly kind: 'describe'; readonly table: string };

const SHOW_TABLES = /^\s*SHOW\s+(?:ALL\s+)?TABLES\s*;?\s*$/i;
const DESCRIBE = /^\s*DESCRIBE\s+(?:"([^"]{1,100})"|([A-Za-z_][A-Za-z0-9_]{0,99}))\s*;?\s*$/i;

/** The question a statement asks of the catalog, or null for anything else (which goes to the gate). */
export function catalogQuestion(sql: string): CatalogQuestion | null {
  if (SHOW_TABLES.test(sql)) return { kind: 'tables' };
  const m = DESCRIBE.exec(sql);
  return m ? { kind: 'describe', table: (m[1] ?? m[2])!.toLowerCase() } : null;
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
  const rows = (await con.runAndReadAll(
    "SELECT c.table_name, c.column_name, c.data_type, c.comment FROM duckdb_columns() c JOIN duckdb_tables() t USING (database_name, schema_name, table_name) WHERE c.schema_name = 'main' ORDER BY c.table_name, c.column_index",
  )).getRowObjectsJS();
  const schema = new Map<string, ColumnInfo[]>();
  for (const r of rows) {
    const table = String(r.table_name).toLowerCase();
    const levels = parseUsageComment(r.comment);
    schema.set(table, [...(schema.get(table) ?? []), { name: String(r.column_name).toLowerCase(), type: String(r.data_type), sandbox: levels?.sandbox ?? null, export: levels?.export ?? null }]);
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
  readonly rows: readonly Record<string, string | number | null>[];
  readonly tables: readonly string[];
}

/** Answers the question from the file's columns (what is granted) and the catalog (grades, descriptions). */
export function answerCatalogQuestion(q: CatalogQuestion, schema: FileSchema): CatalogAnswer {
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
