// A second, read-only connection to the embedded control file, for readers on other threads
// (verifying a large audit log on every core). WAL mode lets it read beside the writer.
import Database from 'better-sqlite3';

export interface ReadOnlyRows {
  /** Streams the rows of a query as arrays of column values, in select order. */
  rows(sql: string, ...params: unknown[]): IterableIterator<unknown[]>;
  get<T>(sql: string, ...params: unknown[]): T | undefined;
  close(): void;
}

export function openReadOnly(path: string): ReadOnlyRows {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 10000');
  return {
    rows: (sql, ...params) =>
      db
        .prepare(sql)
        .raw()
        .iterate(...params) as IterableIterator<unknown[]>,
    get: <T>(sql: string, ...params: unknown[]) => db.prepare(sql).get(...params) as T | undefined,
    close: () => db.close(),
  };
}
