// The embedded control-plane store: one SQLite file under <home>/control, WAL mode with full
// fsync so an acknowledged write survives a crash, safe for the gateway and CLI processes
// to share. Every control-plane read and write goes through this class, so a PostgreSQL
// implementation can replace it without touching callers (docs/architecture.md).
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { ADDED_COLUMNS, SCHEMA, SCHEMA_VERSION } from './schema.ts';

import type { Row, Store } from './store.ts';

export class ControlStore implements Store {
  private readonly db: Database.Database;

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 10000');
    this.db.pragma('foreign_keys = ON');
    this.db.exec(SCHEMA);
    this.migrate();
  }

  /** Brings a home made by an older version up to date (additive changes only). */
  private migrate(): void {
    this.db.transaction(() => {
      for (const [table, column, def] of ADDED_COLUMNS) {
        const cols = this.db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[];
        if (!cols.some((c) => c.name === column)) this.db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${def}`);
      }
      this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run('schema_version', String(SCHEMA_VERSION));
    }).immediate();
  }

  /** Runs fn in one IMMEDIATE transaction: a state change and its audit event commit together. */
  tx<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  run(sql: string, ...params: unknown[]): { changes: number } {
    const r = this.db.prepare(sql).run(...params);
    return { changes: r.changes };
  }

  get<T = Row>(sql: string, ...params: unknown[]): T | undefined {
    return this.db.prepare(sql).get(...params) as T | undefined;
  }

  all<T = Row>(sql: string, ...params: unknown[]): T[] {
    return this.db.prepare(sql).all(...params) as T[];
  }

  /** Streams rows without loading them all (for verifying large logs). */
  iterate<T = Row>(sql: string, ...params: unknown[]): IterableIterator<T> {
    return this.db.prepare(sql).iterate(...params) as IterableIterator<T>;
  }

  getMeta(key: string): string | undefined {
    return this.get<{ value: string }>('SELECT value FROM meta WHERE key = ?', key)?.value;
  }

  setMeta(key: string, value: string): void {
    this.run('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value', key, value);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
