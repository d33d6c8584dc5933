// Messages between the supervisor (host process) and a job worker process.
import type { ErrorCode } from '../errors/index.ts';
import type { JobLimits } from './limits.ts';
import type { ColumnLineage } from './columnLineage.ts';

export interface JobSpec {
  readonly jobId: string;
  readonly tenant: string;
  readonly env: 'dev' | 'prod';
  readonly dbPath: string;
  readonly buildId: string | null;
  readonly script: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly limits: JobLimits;
  /** Declared outputs (prod); what the job writes must match them. */
  readonly manifest?: import('./manifest.ts').Manifest;
}

/** One sql() call, allowed or refused; the host audits it before the script sees the answer. */
export interface QueryEvent {
  readonly sql: string;
  readonly sqlHash: string;
  readonly verdict: 'allowed' | 'refused' | 'failed';
  readonly code?: ErrorCode;
  readonly reason?: string;
  readonly tables: readonly string[];
  readonly columns: readonly string[];
  readonly rowCount?: number;
  readonly resultHash?: string;
  /** Which output columns come from which input columns, and how. */
  readonly lineage?: ColumnLineage | null;
  /** The result's column names (to match outputs to the queries that produced them). */
  readonly resultColumns?: readonly string[];
  /** The values bound to $1, $2 … (the export check re-reads the cells' contributors with them). */
  readonly params?: readonly (string | number | boolean | null)[];
}

export interface OutputColumn {
  readonly name: string;
  /** JSON: lists and structs (kept typed in Parquet, written as JSON text in CSV). */
  readonly type: 'VARCHAR' | 'DOUBLE' | 'BIGINT' | 'BOOLEAN' | 'JSON';
}

export interface JobOutput {
  readonly name: string;
  readonly columns: readonly OutputColumn[];
  readonly rows: readonly (readonly unknown[])[];
}

export interface JobError {
  readonly code: ErrorCode;
  readonly message: string;
}

export interface WorkerResult {
  readonly ok: boolean;
  readonly outputs: readonly JobOutput[];
  readonly logs: readonly string[];
  readonly error?: JobError;
  readonly stats: { readonly sqlCalls: number; readonly cpuMs: number; readonly wallMs: number };
}

/** A DP aggregate's budget: reserved in the control store before it runs, settled after. */
export type BudgetRequest = import('./dp.ts').BudgetCall extends (req: infer R) => unknown ? R : never;

/** dbKey names the tenant file version the job must read (sandbox/tenantDb.ts, tenantDbKey). */
export type ToWorker = { type: 'run'; job: JobSpec; dbKey: string } | { type: 'ack'; id: number; ok: boolean; error?: JobError; value?: unknown };
export type FromWorker =
  | { type: 'ready' }
  | { type: 'query'; id: number; event: QueryEvent }
  | { type: 'budget'; id: number; request: BudgetRequest }
  | { type: 'done'; result: WorkerResult; reusable: boolean };

/** What a worker writes to stderr before killing itself when its isolate's heap is beyond recovery. */
export const ISOLATE_OOM_MARKER = 'opdomain: isolate out of memory';
