// Job limits: safe defaults, overridable per authorization within hard ceilings.

export interface JobLimits {
  /** isolated-vm heap limit. */
  readonly isolateMemoryMb: number;
  /** CPU time the script itself may use (isolate CPU, not waiting on sql()). */
  readonly cpuMs: number;
  /** Wall-clock time from job start, enforced from the host. */
  readonly wallMs: number;
  readonly maxSqlCalls: number;
  readonly maxResultRows: number;
  readonly maxResultBytes: number;
  readonly maxOutputBytes: number;
  readonly maxLogBytes: number;
  /** Resident memory of the whole worker process (V8 + DuckDB + everything else). */
  readonly workerMemoryMb: number;
  readonly duckdbMemoryMb: number;
  readonly duckdbThreads: number;
  /** Prod jobs an authorization may start in any 24 hours: it bounds what the reply channel carries per day. */
  readonly prodJobsPerDay: number;
  /** Export checks (requests and revisions) an authorization's operators may ask for in any 24 hours: each says which rules object. */
  readonly exportChecksPerDay: number;
}

export const DEFAULT_LIMITS: JobLimits = {
  isolateMemoryMb: 128,
  cpuMs: 10_000,
  wallMs: 30_000,
  maxSqlCalls: 200,
  maxResultRows: 2_000_000,
  maxResultBytes: 256 * 1024 * 1024,
  maxOutputBytes: 64 * 1024 * 1024,
  maxLogBytes: 64 * 1024,
  workerMemoryMb: 1536,
  duckdbMemoryMb: 512,
  duckdbThreads: 1,
  prodJobsPerDay: 100,
  exportChecksPerDay: 100,
};

const CEILINGS: JobLimits = {
  isolateMemoryMb: 1024,
  cpuMs: 600_000,
  wallMs: 900_000,
  maxSqlCalls: 10_000,
  maxResultRows: 20_000_000,
  maxResultBytes: 2 * 1024 * 1024 * 1024,
  maxOutputBytes: 512 * 1024 * 1024,
  maxLogBytes: 16 * 1024 * 1024,
  workerMemoryMb: 8192,
  duckdbMemoryMb: 4096,
  duckdbThreads: 2,
  prodJobsPerDay: 500,
  exportChecksPerDay: 500,
};

/** Merges overrides onto the defaults, clamping each to [1, ceiling]. */
export function resolveLimits(overrides: Partial<JobLimits> = {}): JobLimits {
  const out: Record<string, number> = { ...DEFAULT_LIMITS };
  for (const [k, v] of Object.entries(overrides)) {
    if (!(k in DEFAULT_LIMITS) || typeof v !== 'number' || !Number.isFinite(v)) continue;
    out[k] = Math.max(1, Math.min(Math.floor(v), CEILINGS[k as keyof JobLimits]));
  }
  return out as unknown as JobLimits;
}
