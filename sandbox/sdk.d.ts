// Types of the Opdomain script SDK: the globals a job script sees inside the sandbox.
// Add `/// <reference path="node_modules/opdomain/sandbox/sdk.d.ts" />` (or this file's path)
// at the top of a script to get completion and checking in your editor.
// Nothing else exists in the sandbox: no require, process, fetch, timers beyond setTimeout
// (at most 5 s per call), file or network access.

/** One row of a query result: column name → value. BIGINT and DECIMAL arrive as numbers. */
type OpdomainRow = Record<string, string | number | boolean | null>;
type OpdomainValue = string | number | boolean | null;

interface OpdomainSql {
  /**
   * Runs one read-only query (SELECT / WITH, DuckDB dialect) against the granted tables of
   * your authorization and returns its rows. Parameters bind to $1, $2 … (or ?).
   * Refusals throw an Error whose `code` is a registry code (e.g. SQL_TABLE_NOT_ALLOWED).
   */
  (query: string, params?: readonly OpdomainValue[]): Promise<OpdomainRow[]>;
  /**
   * Like sql(), but column by column: numeric columns without NULLs arrive as Float64Array
   * (or Int32Array for small integers), so large results cross without per-row objects.
   */
  columns(query: string, params?: readonly OpdomainValue[]): Promise<Record<string, OpdomainValue[] | Float64Array | Int32Array>>;
}

declare const sql: OpdomainSql;

/**
 * Records an output of the job under `name` (a lower-case identifier): an array of row objects
 * with the same keys, or an object of equal-length columns. Outputs stay inside the domain
 * until an export request for them is approved.
 */
declare function output(name: string, rowsOrColumns: readonly Record<string, unknown>[] | Record<string, ArrayLike<unknown>>): void;

/** Logs values (shown in dev; hidden in prod, where logs could carry data). */
declare function log(...values: unknown[]): void;

/** The job's parameters (`--param key=value`, `--params JSON`, or `params` in the HTTP body). */
declare const params: Readonly<Record<string, unknown>>;

/** A bounded timer: the delay is capped at 5000 ms. */
declare function setTimeout(fn: () => void, ms?: number): void;

declare const console: { log: typeof log; info: typeof log; warn: typeof log; error: typeof log };
