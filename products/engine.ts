// The call path's engine: per authorization one locked-down, read-only instance of its prod file
// (the same lockdown and limits as a job's), reopened when the file is rebuilt; a fresh
// connection per call; the gate on the template (decided once per text); the query and its cell
// measuring interrupted at the call's time limit. Calls run an approved template with bound
// values, never operator code, so they need no isolate and pay no process start.
import { OpError } from '../errors/index.ts';
import { measureCall, newCallCache, unitDifference, type CallCache, type Params, type Thresholds } from '../exports/index.ts';
import { openTenantDb, tenantDbKey, type JobLimits, type OutputColumn, type TenantDb } from '../sandbox/index.ts';
import { alignCells, controlRows, publishedCellKeys, type Controlled } from './disclosure.ts';
import type { CallControls } from './spec.ts';

export interface CallInput {
  readonly dbPath: string;
  readonly limits: Pick<JobLimits, 'duckdbMemoryMb' | 'duckdbThreads'>;
  readonly tenant: string;
  readonly sql: string;
  readonly params: Params;
  readonly thresholds: Thresholds;
  readonly controls: CallControls;
  readonly timeoutMs: number;
}

/** The controlled answer, and (for the approval report only, never for a consumer) the rows before the controls. */
export type CallResult = Controlled & {
  readonly all: { readonly columns: readonly OutputColumn[]; readonly rows: readonly (readonly unknown[])[] };
  readonly kept: readonly number[];
  /** The kinds of unit the cells were measured by (person, enterprise). */
  readonly unitKinds: readonly string[];
};

/** Rows a call may read before its controls (the cap applies after them). */
const MAX_CALL_ROWS = 100_000;

export class ProductEngine {
  private readonly open = new Map<string, Promise<TenantDb>>();
  /** Per open file: template trees and measuring plans (a rebuilt file is a new instance, with a new cache). */
  private readonly caches = new WeakMap<TenantDb, CallCache>();

  private cacheOf(db: TenantDb): CallCache {
    let c = this.caches.get(db);
    if (!c) {
      c = newCallCache();
      this.caches.set(db, c);
    }
    return c;
  }
  /** Templates run so far (a refused call runs none: the tests count on it). */
  runs = 0;

  private async db(path: string, limits: CallInput['limits']): Promise<TenantDb> {
    const key = tenantDbKey(path, limits);
    const cur = this.open.get(path);
    if (cur) {
      const db = await cur.catch(() => undefined);
      if (db?.key === key) return db;
      this.open.delete(path);
      db?.close();
    }
    const next = openTenantDb(key, path, limits);
    this.open.set(path, next);
    next.catch(() => this.open.delete(path));
    return next;
  }

  /** The gate on a template, and DuckDB's own syntax tree of it (for its parameters). */
  async inspect(dbPath: string, limits: CallInput['limits'], sql: string): Promise<{ tree: unknown; tables: readonly string[] }> {
    const db = await this.db(dbPath, limits);
    const con = await db.instance.connect();
    try {
      const gate = await db.gate(con, sql, 'export');
      const r = await con.runAndReadAll('SELECT json_serialize_sql($1::VARCHAR) AS j', [sql]);
      const tree = JSON.parse(String(r.getRowObjectsJS()[0]!.j)) as { statements?: unknown[] };
      return { tree: tree.statements?.[0] ?? null, tables: gate.tables };
    } finally {
      con.closeSync();
    }
  }

  async call(input: CallInput): Promise<CallResult> {
    const db = await this.db(input.dbPath, input.limits);
    this.runs++;
    // Two connections: the cells are measured while the template runs.
    const con = await db.instance.connect();
    const second = await db.instance.connect();
    const timer = setTimeout(() => {
      con.interrupt();
      second.interrupt();
    }, input.timeoutMs);
    try {
      await db.gate(con, input.sql, 'export');
      const has = (t: string, c: string) => db.columnsOf(t.toLowerCase()).includes(c.toLowerCase());
      const m = await measureCall(con, {
        sql: input.sql,
        params: input.params,
        tenant: input.tenant,
        thresholds: input.thresholds,
        tenantHas: has,
        maxRows: MAX_CALL_ROWS,
        cache: this.cacheOf(db),
        second,
      });
      const { kept, ...controlled } = controlRows(m.ctx, input.controls);
      return { ...controlled, all: m.ctx.output, kept, unitKinds: [...new Set((m.measured?.sources ?? []).map((u) => u.kind))] };
    } catch (err) {
      if (err instanceof OpError) throw err;
      const msg = String((err as Error).message);
      if (/interrupt/i.test(msg)) throw new OpError('PRODUCT_CALL_FAILED', `the call took longer than ${input.timeoutMs} ms`);
      // DuckDB's message may quote data: the consumer sees the class of failure only.
      throw new OpError('PRODUCT_CALL_FAILED', 'the product could not be computed for these parameters');
    } finally {
      clearTimeout(timer);
      con.closeSync();
      second.closeSync();
    }
  }

  /**
   * Two answers (two bindings of one template, or two templates whose cells group the same
   * fields): the smallest number of units in a cell of one and not in the same cell of the
   * other, over the `flagged` groups (the ledger's keys; Infinity: none differ; 1: a flagged
   * group cannot be lined up with a cell of the other answer). Measured.
   */
  async difference(input: CallInput, other: { sql: string; params: Params; controls: CallControls }, flagged: ReadonlySet<string>): Promise<number> {
    const db = await this.db(input.dbPath, input.limits);
    const con = await db.instance.connect();
    const timer = setTimeout(() => con.interrupt(), input.timeoutMs);
    try {
      await db.gate(con, input.sql, 'export');
      await db.gate(con, other.sql, 'export');
      const has = (t: string, c: string) => db.columnsOf(t.toLowerCase()).includes(c.toLowerCase());
      const measure = (sql: string, params: Params) =>
        measureCall(con, { sql, params, tenant: input.tenant, thresholds: input.thresholds, tenantHas: has, maxRows: MAX_CALL_ROWS, cache: this.cacheOf(db) });
      const a = await measure(input.sql, input.params);
      const b = await measure(other.sql, other.params);
      // What cannot be compared cell for cell counts as differing by one.
      const align = !a.measured?.error && !b.measured?.error ? alignCells(a, b) : null;
      if (!align) return 1;
      const ka = publishedCellKeys(a.ctx, controlRows(a.ctx, input.controls).kept, align.a);
      const kb = publishedCellKeys(b.ctx, controlRows(b.ctx, other.controls).kept, align.b);
      // Only the cells the ledger flagged need clearing, and every one of them must line up with a
      // cell of the earlier answer; a flagged group that lines up with none cannot be cleared.
      const compared = new Set([...ka].filter(([k, group]) => flagged.has(group) && kb.has(k)).map(([k]) => k));
      const covered = new Set([...ka].filter(([k]) => compared.has(k)).map(([, group]) => group));
      if ([...flagged].some((g) => !covered.has(g))) return 1;
      return await unitDifference(
        con,
        { stages: a.measured!.stages!, params: input.params },
        { stages: b.measured!.stages!, params: other.params },
        compared,
        align,
      );
    } catch (err) {
      if (err instanceof OpError) throw err;
      throw new OpError('PRODUCT_CALL_FAILED', 'the answer could not be compared with an earlier one');
    } finally {
      clearTimeout(timer);
      con.closeSync();
    }
  }

  /** Closes the instance of a file (its authorization changed state, or it was rebuilt). */
  retire(path: string): void {
    const cur = this.open.get(path);
    this.open.delete(path);
    void cur?.then((db) => db.close()).catch(() => undefined);
  }

  async close(): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    for (const p of all) (await p.catch(() => undefined))?.close();
  }
}
