// One tenant file held open by a long-lived worker: the locked-down read-only DuckDB instance,
// its schema, and the gate's verdicts by statement text. Jobs get a fresh connection each, so
// what is connection-scoped in DuckDB (temp tables and macros, prepared statements, variables,
// local settings) dies with the job; the instance itself is read-only and configuration-locked,
// so nothing a job can do reaches the next one through it.
import { statSync } from 'node:fs';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { OpError } from '../errors/index.ts';
import { parseUsageComment, type UsageAudience, type UsageLevel } from '../datasets/index.ts';
import { checkQuery, type GateResult } from './gate.ts';
import { MetadataDb, answerCatalogQuestion, catalogQuestion, readFileSchema, type CatalogAnswer } from './catalogAnswers.ts';
import type { JobLimits } from './limits.ts';
import { openLockedDown } from './lockdown.ts';

/** How many statement texts keep their gate verdict (a script's queries repeat, products' more so). */
const GATE_CACHE_SIZE = 512;

type Verdict = { ok: true; result: GateResult } | { ok: false; error: OpError };

export interface TenantDb {
  /** Names the file version and the instance settings; a different key needs a different instance. */
  readonly key: string;
  readonly instance: DuckDBInstance;
  readonly allowedTables: ReadonlySet<string>;
  columnsOf(table: string): readonly string[];
  /** The table's unit-of-privacy column, as the build marked it. */
  unitOf(table: string): string | undefined;
  /** A column's usage level for an audience, as the build wrote it into the file. */
  levelOf(audience: UsageAudience): (table: string, column: string) => UsageLevel;
  /** The gate on one statement for an audience (the sandbox's by default), decided once per text for this file version. */
  gate(con: DuckDBConnection, sql: string, audience?: UsageAudience): Promise<GateResult>;
  /** `DESCRIBE table`, `SHOW TABLES` and information_schema questions answered from the file's schema and the catalog; null for any other statement. */
  catalogAnswer(sql: string): Promise<CatalogAnswer | null>;
  close(): void;
}

/**
 * The identity of a tenant file as a worker must hold it: path, inode and modification time
 * (builds rename a new file into place, so a rebuilt file has another identity), and the
 * instance limits it is opened with.
 */
export function tenantDbKey(dbPath: string, limits: Pick<JobLimits, 'duckdbMemoryMb' | 'duckdbThreads'>): string {
  let version = 'missing';
  try {
    const st = statSync(dbPath);
    version = `${st.ino}:${st.mtimeMs}:${st.size}`;
  } catch {
    // A missing file fails when the job opens it, with DuckDB's own message.
  }
  return `${dbPath}|${version}|${limits.duckdbMemoryMb}|${limits.duckdbThreads}`;
}

export async function openTenantDb(key: string, dbPath: string, limits: Pick<JobLimits, 'duckdbMemoryMb' | 'duckdbThreads'>): Promise<TenantDb> {
  const instance = await openLockedDown(dbPath, limits);
  const con = await instance.connect();
  try {
    const tables = (await con.runAndReadAll("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'")).getRowObjectsJS();
    const allowedTables = new Set(tables.map((r) => String(r.table_name).toLowerCase()));
    const tableColumns = new Map<string, string[]>();
    const usage = new Map<string, ReturnType<typeof parseUsageComment>>();
    for (const r of (await con.runAndReadAll("SELECT table_name, column_name, comment FROM duckdb_columns() WHERE schema_name = 'main'")).getRowObjectsJS()) {
      const t = String(r.table_name).toLowerCase();
      const c = String(r.column_name).toLowerCase();
      tableColumns.set(t, [...(tableColumns.get(t) ?? []), c]);
      usage.set(`${t}.${c}`, parseUsageComment(r.comment));
    }
    const schema = await readFileSchema(con);
    const columnsOf = (t: string) => tableColumns.get(t) ?? [];
    // A column without levels (a file built before levels existed) is only joined and counted: fail closed.
    const levelOf =
      (audience: UsageAudience) =>
      (t: string, c: string): UsageLevel =>
        usage.get(`${t}.${c}`)?.[audience] ?? 'join_key';
    const levels = { sandbox: levelOf('sandbox'), export: levelOf('export') };
    const units = new Map([...usage].filter(([, u]) => u?.unit).map(([k]) => [k.split('.')[0]!, k.split('.').slice(1).join('.')]));
    const unitOf = (t: string) => units.get(t);
    const verdicts = new Map<string, Verdict>();
    const gate = async (c: DuckDBConnection, sql: string, audience: UsageAudience = 'sandbox'): Promise<GateResult> => {
      const key = `${audience}\u0000${sql}`;
      let v = verdicts.get(key);
      if (!v) {
        // Jobs get group floors; product templates (the export audience) have their own call-time controls.
        v = await checkQuery(c, sql, allowedTables, columnsOf, { levelOf: levels[audience], audience, ...(audience === 'sandbox' ? { unitOf } : {}) }).then(
          (result): Verdict => ({ ok: true, result }),
          (error: unknown): Verdict => {
            // Only the gate's own refusals are a property of the text; anything else is retried.
            if (error instanceof OpError) return { ok: false, error };
            throw error;
          },
        );
        if (verdicts.size >= GATE_CACHE_SIZE) verdicts.delete(verdicts.keys().next().value!);
        verdicts.set(key, v);
      }
      if (!v.ok) throw new OpError(v.error.code, v.error.message, v.error.details);
      return v.result;
    };
    // The empty database of shapes is made on the first information_schema question, then kept.
    let meta: Promise<MetadataDb> | undefined;
    const catalogAnswer = async (sql: string): Promise<CatalogAnswer | null> => {
      const q = catalogQuestion(sql);
      if (!q) return null;
      if (q.kind !== 'information_schema') return answerCatalogQuestion(q, schema);
      meta ??= MetadataDb.create(schema);
      return (await meta).answer(q.sql);
    };
    const close = () => {
      void meta?.then(
        (m) => m.close(),
        () => {},
      );
      instance.closeSync();
    };
    return { key, instance, allowedTables, columnsOf, unitOf, levelOf: (a) => levels[a], gate, catalogAnswer, close };
  } finally {
    con.closeSync();
  }
}
