// The reply of a few bits (R23). What a prod job tells its operator is chosen by the manifest,
// never by the data: the job id, completed or failed, a failure class from a fixed list of
// three (limit, script, query) or the operator's own cancel, and per declared output a size
// bucket. No row counts, no statistics, no timings (the reply is held to a time bucket), no
// data-chosen names or codes. The full record stays with reviewers and security staff.
// docs/architecture.md ("The prod reply channel") gives the capacity in bits per job and day.
import { ERRORS, errorClassOf, type ErrorCode } from '../errors/index.ts';
import type { Manifest, WorkerResult } from '../sandbox/index.ts';
import type { JobRecord, RunResult } from './jobs.ts';

export type SizeBucket = 'empty' | 'small' | 'large';

/** Rows below which a declared output is "small" (the export gate's default cell threshold). */
export const SMALL_ROWS = 10;
/** The timing channel's bucket: a prod reply is held to the next multiple of this. */
export const PROD_REPLY_BUCKET_MS = 1000;

const LIMIT_CODES: ReadonlySet<string> = new Set([
  'SANDBOX_TIMEOUT',
  'SANDBOX_CPU_LIMIT',
  'SANDBOX_MEMORY_LIMIT',
  'SANDBOX_WORKER_MEMORY',
  'SANDBOX_WORKER_CRASHED',
  'SANDBOX_SQL_CALL_LIMIT',
  'SANDBOX_RESULT_TOO_LARGE',
  'SANDBOX_OUTPUT_TOO_LARGE',
  'SANDBOX_LOG_LIMIT',
  // The machine, not the script: a lost worker node or a copy of its file that did not verify.
  'JOB_NODE_LOST',
  'NODE_COPY_MISMATCH',
]);

/** The coarse code an operator sees for a prod failure. */
export function prodFailureCode(code: ErrorCode): ErrorCode {
  if (code === 'JOB_CANCELLED') return code;
  if (LIMIT_CODES.has(code)) return 'JOB_FAILED_LIMIT';
  if (errorClassOf(code) === 'sql') return 'JOB_FAILED_QUERY';
  return 'JOB_FAILED_SCRIPT';
}

export function sizeBucket(rows: number): SizeBucket {
  return rows === 0 ? 'empty' : rows < SMALL_ROWS ? 'small' : 'large';
}

export function prodReply(jobId: string, result: WorkerResult, manifest: Manifest | undefined): RunResult {
  const rows = new Map(result.outputs.map((o) => [o.name, o.rows.length]));
  const outputs = result.ok && manifest ? manifest.outputs.map((d) => ({ name: d.name, columns: d.columns, size: sizeBucket(rows.get(d.name) ?? 0) })) : [];
  const code = result.error ? prodFailureCode(result.error.code) : undefined;
  return {
    ok: result.ok,
    jobId,
    env: 'prod',
    outputs,
    logs: [],
    ...(code ? { error: { code, class: errorClassOf(code), message: ERRORS[code].title } } : {}),
  };
}

/** Holds the reply until the next bucket boundary since the job started. */
export async function padToBucket(startedMs: number, bucketMs: number): Promise<void> {
  if (bucketMs <= 0) return;
  const elapsed = Date.now() - startedMs;
  const target = startedMs + Math.ceil(Math.max(elapsed, 1) / bucketMs) * bucketMs;
  // Timers keep the monotonic clock and may wake a millisecond early by the wall clock, which
  // the record's bucketed end time is read against: wait until the wall clock has passed it.
  while (Date.now() < target) await new Promise((r) => setTimeout(r, target - Date.now()));
}

/** A prod job's record as its operator sees it: the coarse code, declared outputs with size buckets, the end time bucketed. */
export function operatorView(rec: JobRecord, manifest: Manifest | undefined, bucketMs: number): JobRecord {
  const rows = new Map(rec.outputs.map((o) => [o.name, o.rowCount ?? 0]));
  const started = new Date(rec.createdAt).getTime();
  const finished = rec.finishedAt ? new Date(rec.finishedAt).getTime() : null;
  const bucketed =
    finished === null || bucketMs <= 0 ? rec.finishedAt : new Date(started + Math.ceil(Math.max(finished - started, 1) / bucketMs) * bucketMs).toISOString();
  // Polling the record must not tell the end time either: until the bucket closes, it is running.
  if (bucketed && new Date(bucketed).getTime() > Date.now())
    return { ...rec, state: 'running', errorCode: null, errorMessage: null, finishedAt: null, outputs: [] };
  return {
    ...rec,
    errorCode: rec.errorCode ? prodFailureCode(rec.errorCode as ErrorCode) : null,
    // A message may quote data: the operator of a prod job reads the coarse code's fixed title.
    errorMessage: rec.errorCode ? ERRORS[prodFailureCode(rec.errorCode as ErrorCode)].title : null,
    finishedAt: bucketed,
    outputs:
      rec.state === 'completed' && manifest ? manifest.outputs.map((d) => ({ name: d.name, columns: d.columns, size: sizeBucket(rows.get(d.name) ?? 0) })) : [],
  };
}
