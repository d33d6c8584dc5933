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

/** A differentially private aggregate: what the script gets (never a row). */
interface DpResult {
  /** The noisy value of an ungrouped aggregate. */
  readonly value?: number;
  /** [[value]] ungrouped; [[key, value], …] grouped. */
  readonly rows: readonly (readonly (string | number)[])[];
  readonly epsilon: number;
  readonly delta: number;
  readonly mechanism: 'discrete_laplace' | 'report_noisy_max';
  readonly bounds?: { readonly lo: number; readonly hi: number };
}

interface DpSpec {
  /** A table of the authorization whose rows belong to units of privacy (people, enterprises). */
  readonly table: string;
  readonly column?: string;
  /** One SQL boolean expression over the table. */
  readonly where?: string;
  readonly groupBy?: string;
  /** Public group keys fixed by the script (county codes and sexes are public already); else noisy thresholding. */
  readonly keys?: readonly (string | number)[];
  readonly epsilon: number;
  /** Noisy thresholding only (default 1e-6). */
  readonly delta?: number;
  /** Each unit's total is clamped into [lo, hi] (sum, mean, quantile). */
  readonly lo?: number;
  readonly hi?: number;
  readonly granularity?: number;
  /** Quantile: which one (0–1), over `bins` candidates (default 64) between lo and hi. */
  readonly q?: number;
  readonly bins?: number;
  /** Groups one unit may contribute to (default 1). */
  readonly maxGroups?: number;
}

/**
 * Differentially private aggregates over units of privacy, with exact discrete noise; in prod each
 * call is charged to the (dataset, authorization) privacy budget before it runs.
 */
declare const dp: {
  count(spec: DpSpec): Promise<DpResult>;
  sum(spec: DpSpec & { column: string; lo: number; hi: number }): Promise<DpResult>;
  mean(spec: DpSpec & { column: string; lo: number; hi: number }): Promise<DpResult>;
  quantile(spec: DpSpec & { column: string; lo: number; hi: number; q: number }): Promise<DpResult>;
};

/** Logs values (shown in dev; hidden in prod, where logs could carry data). */
declare function log(...values: unknown[]): void;

/** The job's parameters (`--param key=value`, `--params JSON`, or `params` in the HTTP body). */
declare const params: Readonly<Record<string, unknown>>;

/** A bounded timer: the delay is capped at 5000 ms. */
declare function setTimeout(fn: () => void, ms?: number): void;

declare const console: { log: typeof log; info: typeof log; warn: typeof log; error: typeof log };
