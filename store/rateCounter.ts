// Request counters shared by every gateway on one home: a fixed window per key (a token or an
// address) in the control store's file, so two gateways behind one address give one answer to
// "how many this minute". Keys are stored hashed (a token's tail is nobody's business on disk).
// The counters need no durability: the connection does not fsync, and a crash forgets at most
// one window of counts. On PostgreSQL the counters live in the shared store.
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import type { Store } from './store.ts';

/** How often (in increments) expired windows are deleted. */
const PRUNE_EVERY = 5000;

export interface RateCount {
  /** Requests counted in the key's current window, this one included. */
  readonly current: number;
  /** Milliseconds until the window ends. */
  readonly ttl: number;
}

const BUMP = `INSERT INTO rate_windows (key, window_start, count) VALUES (?, ?, 1)
  ON CONFLICT (key) DO UPDATE SET
    count = CASE WHEN rate_windows.window_start + ? <= excluded.window_start THEN 1 ELSE rate_windows.count + 1 END,
    window_start = CASE WHEN rate_windows.window_start + ? <= excluded.window_start THEN excluded.window_start ELSE rate_windows.window_start END
  RETURNING window_start, count`;
const PRUNE = 'DELETE FROM rate_windows WHERE window_start < ?';
export const RATE_TABLE = 'CREATE TABLE IF NOT EXISTS rate_windows (key TEXT PRIMARY KEY, window_start INTEGER NOT NULL, count INTEGER NOT NULL)';

export class RateCounter {
  private readonly bump: (key: string, now: number, windowMs: number) => { window_start: number; count: number };
  private readonly prune: (before: number) => void;
  private readonly closeFn: () => void;
  private sincePrune = 0;

  /**
   * On the embedded store, a connection of its own to the control file (no fsync); on
   * PostgreSQL, the shared store itself (the table comes with its migrations). One statement
   * either way: the read, the reset of an expired window and the increment are atomic across
   * processes.
   */
  constructor(target: string | Store) {
    if (typeof target !== 'string') {
      this.bump = (key, now, windowMs) => target.get<{ window_start: number; count: number }>(BUMP, key, now, windowMs, windowMs)!;
      this.prune = (before) => void target.run(PRUNE, before);
      this.closeFn = () => undefined;
      return;
    }
    const db = new Database(target);
    db.pragma('busy_timeout = 10000');
    db.pragma('synchronous = OFF');
    db.exec(RATE_TABLE);
    const bump = db.prepare<[string, number, number, number], { window_start: number; count: number }>(BUMP);
    const prune = db.prepare<[number]>(PRUNE);
    this.bump = (key, now, windowMs) => bump.get(key, now, windowMs, windowMs)!;
    this.prune = (before) => void prune.run(before);
    this.closeFn = () => db.close();
  }

  /** Counts one request of `key` in a window of `windowMs`. */
  incr(key: string, windowMs: number, now = Date.now()): RateCount {
    const hashed = createHash('sha256').update(key).digest('hex').slice(0, 32);
    const row = this.bump(hashed, now, windowMs);
    if (++this.sincePrune >= PRUNE_EVERY) {
      this.sincePrune = 0;
      this.prune(now - 10 * windowMs);
    }
    return { current: row.count, ttl: Math.max(0, row.window_start + windowMs - now) };
  }

  close(): void {
    this.closeFn();
  }
}
