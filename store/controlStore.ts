// The embedded control-plane store: one SQLite file under <home>/control, WAL mode with full
// fsync so an acknowledged write survives a crash, safe for the gateway and CLI processes
// to share. Every control-plane read and write goes through this class, so a PostgreSQL
// implementation can replace it without touching callers (docs/architecture.md).
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { BASELINE_VERSION, MIGRATIONS, SCHEMA_VERSION } from './migrations.ts';
import { ADDED_COLUMNS, SCHEMA } from './schema.ts';

import { GroupCommit } from './groupCommit.ts';
import type { Row, Store } from './store.ts';

export class ControlStore implements Store {
  readonly dialect = 'sqlite' as const;
  private readonly db: Database.Database;
  /** Prepared statements by text: preparing costs more than running a small one. */
  private readonly statements = new Map<string, Database.Statement>();
  private readonly group: GroupCommit;

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 10000');
    this.db.pragma('foreign_keys = ON');
    this.db.exec(SCHEMA);
    this.migrate();
    this.group = new GroupCommit(
      (body) => this.db.transaction(body).immediate(),
      (fn) => this.db.transaction(fn)(),
    );
  }

  /**
   * Brings a home made by an older release up to date: the baseline's added columns, then every
   * later version in order (store/migrations.ts), in one transaction with the version reached.
   */
  private migrate(): void {
    this.db
      .transaction(() => {
        for (const [table, column, def] of ADDED_COLUMNS) {
          const cols = this.db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[];
          if (!cols.some((c) => c.name === column)) this.db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${def}`);
        }
        const at = Number(this.getMeta('schema_version') ?? BASELINE_VERSION);
        if (at > SCHEMA_VERSION) throw new Error(`this home's control store is at schema ${at}, newer than this release (${SCHEMA_VERSION})`);
        for (const m of MIGRATIONS) if (m.version > Math.max(at, BASELINE_VERSION)) this.db.exec(m.sqlite);
        this.setMeta('schema_version', String(SCHEMA_VERSION));
      })
      .immediate();
  }

  /** Runs fn in one IMMEDIATE transaction: a state change and its audit event commit together. */
  tx<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  txAsync<T>(fn: () => T): Promise<T> {
    return this.group.enqueue(fn);
  }

  private statement(sql: string): Database.Statement {
    let st = this.statements.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      // Texts are the code's own constants; the bound keeps a stray dynamic text from growing it.
      if (this.statements.size >= 2000) this.statements.clear();
      this.statements.set(sql, st);
    }
    return st;
  }

  run(sql: string, ...params: unknown[]): { changes: number } {
    const r = this.statement(sql).run(...params);
    return { changes: r.changes };
  }

  send(sql: string, ...params: unknown[]): void {
    this.run(sql, ...params);
  }

  get<T = Row>(sql: string, ...params: unknown[]): T | undefined {
    return this.statement(sql).get(...params) as T | undefined;
  }

  all<T = Row>(sql: string, ...params: unknown[]): T[] {
    return this.statement(sql).all(...params) as T[];
  }

  /** Streams rows without loading them all (for verifying large logs). */
  iterate<T = Row>(sql: string, ...params: unknown[]): IterableIterator<T> {
    // Not the cached statement: an iterator holds its statement busy until it is done.
    return this.db.prepare(sql).iterate(...params) as IterableIterator<T>;
  }

  getMeta(key: string): string | undefined {
    return this.get<{ value: string }>('SELECT value FROM meta WHERE key = ?', key)?.value;
  }

  setMeta(key: string, value: string): void {
    this.run('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value', key, value);
  }

  close(): void {
    // What was handed to a group commit is written before the file closes.
    if (this.db.open) this.group.flush();
    if (this.db.open) this.db.close();
  }
}
