// `DESCRIBE table` and `SHOW TABLES` from a script, answered from the authorization's own file
// and the catalog: which tables are granted, each column's type, usage levels (what the sandbox
// and an export may see of it), grade and description. Only names and kinds, never a value:
// SUMMARIZE and DESCRIBE of a query compute over the data and stay refused by the gate.
import { findDataset } from '../datasets/index.ts';
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

export interface CatalogAnswer {
  readonly columns: readonly string[];
  readonly rows: readonly Record<string, string | number | null>[];
  readonly tables: readonly string[];
}

/** Answers the question from the file's columns (what is granted) and the catalog (grades, descriptions). */
export function answerCatalogQuestion(q: CatalogQuestion, schema: ReadonlyMap<string, readonly ColumnInfo[]>): CatalogAnswer {
  if (q.kind === 'tables') {
    const tables = [...schema.keys()].sort();
    return {
      columns: ['table_name', 'title', 'columns'],
      rows: tables.map((t) => ({ table_name: t, title: findDataset(t)?.title.en ?? null, columns: schema.get(t)!.length })),
      tables: [],
    };
  }
  const cols = schema.get(q.table);
  if (!cols) refuseTable(q.table, new Set(schema.keys()));
  const spec = findDataset(q.table);
  return {
    columns: ['column_name', 'column_type', 'sandbox_level', 'export_level', 'grade', 'description'],
    rows: cols.map((c) => {
      const f = spec?.fields.find((x) => x.name === c.name);
      return { column_name: c.name, column_type: c.type, sandbox_level: c.sandbox, export_level: c.export, grade: f?.grade ?? null, description: f?.description ?? null };
    }),
    tables: [q.table],
  };
}
