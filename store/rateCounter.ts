// Request counters shared by every gateway on one home: a fixed window per key (a token or an
// address) in the control store's file, so two gateways behind one address give one answer to
// "how many this minute". Keys are stored hashed (a token's tail is nobody's business on disk).
// The counters need no durability: the connection does not fsync, and a crash forgets at most
// one window of counts.
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';

/** How often (in increments) expired windows are deleted. */
const PRUNE_EVERY = 5000;

export interface RateCount {
  /** Requests counted in the key's current window, this one included. */
  readonly current: number;
  /** Milliseconds until the window ends. */
  readonly ttl: number;
}

export class RateCounter {
  private readonly db: Database.Database;
  private readonly bump: Database.Statement<[string, number, number, number], { window_start: number; count: number }>;
  private readonly prune: Database.Statement<[number]>;
  private sincePrune = 0;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('busy_timeout = 10000');
    this.db.pragma('synchronous = OFF');
    this.db.exec('CREATE TABLE IF NOT EXISTS rate_windows (key TEXT PRIMARY KEY, window_start INTEGER NOT NULL, count INTEGER NOT NULL)');
    // One statement: the read, the reset of an expired window and the increment are atomic across processes.
    this.bump = this.db.prepare(
      `INSERT INTO rate_windows (key, window_start, count) VALUES (?, ?, 1)
       ON CONFLICT (key) DO UPDATE SET
         count = CASE WHEN rate_windows.window_start + ? <= excluded.window_start THEN 1 ELSE rate_windows.count + 1 END,
         window_start = CASE WHEN rate_windows.window_start + ? <= excluded.window_start THEN excluded.window_start ELSE rate_windows.window_start END
       RETURNING window_start, count`,
    );
    this.prune = this.db.prepare('DELETE FROM rate_windows WHERE window_start < ?');
  }

  /** Counts one request of `key` in a window of `windowMs`. */
  incr(key: string, windowMs: number, now = Date.now()): RateCount {
    const hashed = createHash('sha256').update(key).digest('hex').slice(0, 32);
    const row = this.bump.get(hashed, now, windowMs, windowMs)!;
    if (++this.sincePrune >= PRUNE_EVERY) {
      this.sincePrune = 0;
      this.prune.run(now - 10 * windowMs);
    }
    return { current: row.count, ttl: Math.max(0, row.window_start + windowMs - now) };
  }

  close(): void {
    this.db.close();
  }
}
