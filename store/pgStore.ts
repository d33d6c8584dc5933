// The control-plane store on PostgreSQL, for several gateways and worker nodes sharing one
// control plane (OPDOMAIN_DATABASE_URL). Same interface and promises as ControlStore:
//  - a transaction holds the store's write lock (a transaction-level advisory lock) from its
//    first statement, so writers serialize across every process as SQLite's do: a state change
//    read and checked inside a transaction cannot be raced by another gateway, and the audit
//    log's head is read and extended by one writer at a time (gapless sequence, one tree);
//  - a write outside a transaction runs as a transaction of its own, under the same lock;
//  - group commit (txAsync) writes the calls of one turn in one transaction, each in a savepoint.
import { BASELINE_VERSION, MIGRATIONS, postgresBaseline, SCHEMA_VERSION } from './migrations.ts';
import { GroupCommit } from './groupCommit.ts';
import { PgBridge } from './pgBridge.ts';
import { toPostgres } from './pgDialect.ts';
import type { Row, Store } from './store.ts';

/** The advisory lock every writing transaction takes (any fixed number; "opdomain" in ASCII). */
const WRITE_LOCK = 0x6f70646f6d61;
/** The lock a migration holds, so two processes starting at once do not both migrate. */
const MIGRATION_LOCK = WRITE_LOCK + 1;
const FETCH_ROWS = 2000;

export function isPostgresUrl(url: string | undefined): url is string {
  return url !== undefined && /^postgres(ql)?:\/\//.test(url);
}

/** Values as PostgreSQL's client takes them (a bigint as its decimal text). */
function params(values: unknown[]): unknown[] {
  return values.map((v) => (typeof v === 'bigint' ? v.toString() : v === undefined ? null : Buffer.isBuffer(v) ? `\\x${v.toString('hex')}` : v));
}

export class PgStore implements Store {
  readonly dialect = 'postgres' as const;
  /** No file: the audit log's verification reads through this store on the calling thread. */
  readonly path = undefined;
  private readonly bridge: PgBridge;
  private depth = 0;
  private readonly group = new GroupCommit(
    (body) => this.tx(body),
    (fn) => this.tx(fn),
  );

  constructor(readonly url: string) {
    this.bridge = new PgBridge(url);
    try {
      this.migrate();
    } catch (e) {
      this.bridge.close();
      throw e;
    }
  }

  private migrate(): void {
    this.exec(`BEGIN; SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
    this.depth = 1;
    try {
      const fresh = !this.get<{ t: string | null }>("SELECT to_regclass('meta') AS t")?.t;
      const at = fresh ? 0 : Number(this.getMeta('schema_version') ?? BASELINE_VERSION);
      if (at > SCHEMA_VERSION) throw new Error(`this control store is at schema ${at}, newer than this release (${SCHEMA_VERSION})`);
      if (at < BASELINE_VERSION) this.exec(postgresBaseline());
      for (const m of MIGRATIONS) if (m.version > Math.max(at, BASELINE_VERSION)) this.exec(m.postgres);
      this.setMeta('schema_version', String(SCHEMA_VERSION));
      this.exec('COMMIT');
    } catch (e) {
      this.exec('ROLLBACK');
      throw e;
    } finally {
      this.depth = 0;
    }
  }

  private exec(sql: string): void {
    this.bridge.request({ op: 'exec', sql });
  }

  private query(sql: string, values: unknown[]): { rows: unknown[]; changes: number } {
    const r = this.bridge.request({ op: 'query', sql: toPostgres(sql), params: params(values) });
    return { rows: r.rows ?? [], changes: r.changes ?? 0 };
  }

  tx<T>(fn: () => T): T {
    if (this.depth > 0) return this.savepoint(fn);
    this.exec(`BEGIN; SELECT pg_advisory_xact_lock(${WRITE_LOCK})`);
    this.depth = 1;
    try {
      const value = fn();
      if (value instanceof Promise) throw new TypeError('a transaction must not be asynchronous');
      this.exec('COMMIT');
      return value;
    } catch (e) {
      this.bridge.discard();
      try {
        this.exec('ROLLBACK');
      } catch {
        // The connection is gone: the server rolled the transaction back itself.
      }
      throw e;
    } finally {
      this.depth = 0;
    }
  }

  /** A nested transaction: a savepoint that rolls back alone, as better-sqlite3 nests them. */
  private savepoint<T>(fn: () => T): T {
    const name = `s${this.depth}`;
    this.exec(`SAVEPOINT ${name}`);
    this.depth++;
    try {
      const value = fn();
      this.exec(`RELEASE SAVEPOINT ${name}`);
      return value;
    } catch (e) {
      this.bridge.discard();
      this.exec(`ROLLBACK TO SAVEPOINT ${name}; RELEASE SAVEPOINT ${name}`);
      throw e;
    } finally {
      this.depth--;
    }
  }

  txAsync<T>(fn: () => T): Promise<T> {
    return this.group.enqueue(fn);
  }

  run(sql: string, ...values: unknown[]): { changes: number } {
    if (this.depth === 0) return this.tx(() => this.run(sql, ...values));
    return { changes: this.query(sql, values).changes };
  }

  send(sql: string, ...values: unknown[]): void {
    if (this.depth === 0) return void this.run(sql, ...values);
    this.bridge.send({ op: 'query', sql: toPostgres(sql), params: params(values) });
  }

  get<T = Row>(sql: string, ...values: unknown[]): T | undefined {
    return this.query(sql, values).rows[0] as T | undefined;
  }

  all<T = Row>(sql: string, ...values: unknown[]): T[] {
    return this.query(sql, values).rows as T[];
  }

  /**
   * Streams rows through a cursor on a connection of its own, a few thousand at a time. It reads
   * what is committed when it opens (a write of the caller's open transaction is not among them).
   */
  *iterate<T = Row>(sql: string, ...values: unknown[]): IterableIterator<T> {
    const { cursor } = this.bridge.request({ op: 'open', sql: toPostgres(sql), params: params(values) });
    try {
      for (;;) {
        const rows = (this.bridge.request({ op: 'fetch', cursor: cursor!, count: FETCH_ROWS }).rows ?? []) as T[];
        yield* rows;
        if (rows.length < FETCH_ROWS) return;
      }
    } finally {
      this.bridge.request({ op: 'closeCursor', cursor: cursor! });
    }
  }

  getMeta(key: string): string | undefined {
    return this.get<{ value: string }>('SELECT value FROM meta WHERE key = ?', key)?.value;
  }

  setMeta(key: string, value: string): void {
    this.run('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value', key, value);
  }

  close(): void {
    this.group.flush();
    this.bridge.close();
  }
}
