// The control-plane store interface: authorizations, people, jobs, the export queue, the
// release ledger and the audit log all go through it, never through a driver. ControlStore
// (SQLite, embedded) is the default; see docs/architecture.md for the PostgreSQL path.

export type Row = Record<string, unknown>;

export interface Store {
  /** Which SQL the store speaks where the two differ (row locks a queue skips: PostgreSQL only). */
  readonly dialect: 'sqlite' | 'postgres';
  /**
   * The file another read-only connection may open (openReadOnly) to read beside this one, as
   * the audit log's verification does from worker threads; absent where there is none.
   */
  readonly path?: string;
  /** Runs fn in one serializable transaction: a state change and its audit event commit together or not at all. */
  tx<T>(fn: () => T): T;
  /**
   * Group commit: runs fn in a transaction shared with the other calls made in the same turn of
   * the event loop (or while the previous group was being written), each in a savepoint of its
   * own, so a failing fn rolls back alone. Resolves only once the group is durable: one fsync
   * serves many jobs in flight.
   */
  txAsync<T>(fn: () => T): Promise<T>;
  run(sql: string, ...params: unknown[]): { changes: number };
  /**
   * A write whose answer the caller does not need now, inside a transaction: on a networked store
   * it returns before the server answers, so the caller computes meanwhile; a failure is thrown
   * by the transaction's next statement (or its commit), which then rolls back. Outside a
   * transaction it is run().
   */
  send(sql: string, ...params: unknown[]): void;
  get<T = Row>(sql: string, ...params: unknown[]): T | undefined;
  all<T = Row>(sql: string, ...params: unknown[]): T[];
  /** Streams rows without loading them all (verifying large logs). */
  iterate<T = Row>(sql: string, ...params: unknown[]): IterableIterator<T>;
  getMeta(key: string): string | undefined;
  setMeta(key: string, value: string): void;
  close(): void;
}
