// Jobs: an operator's script run against one environment of their authorization. The job row
// and its audit events commit together; each query is audited before its answer reaches the
// script; outputs are held inside the domain (tenant folder), hashed canonically.
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERRORS, OpError, errorClassOf, toOpError, type ErrorClass, type ErrorCode } from '../errors/index.ts';
import { EVENTS, OpenLineageSink, canonicalJson, runEvent, type AuditPayloads, type JobLineageInfo } from '../lineage/index.ts';
import { findDataset } from '../datasets/index.ts';
import { resolveLimits, type JobOutput, type OutputColumn, type QueryEvent, type WorkerResult } from '../sandbox/index.ts';
import type { DomainContext } from './context.ts';
import { DpBudgetService } from './dpBudgetService.ts';
import { PROD_REPLY_BUCKET_MS, operatorView, padToBucket, prodReply, type SizeBucket } from './prodReply.ts';
import { parseManifest, type Manifest } from '../sandbox/index.ts';
import { checkRole, checkTenantScope, type Principal } from './principal.ts';
import { JobQueueRepository, type ClaimedRow } from './repositories/jobQueue.ts';
import { ScriptRepository } from './repositories/scripts.ts';
import type { TenantFileCopies } from './tenantFiles.ts';

export const MAX_SCRIPT_BYTES = 1024 * 1024;
export const MAX_PARAMS_BYTES = 64 * 1024;

export interface RunRequest {
  readonly tenant: string;
  readonly env?: 'dev' | 'prod';
  readonly script: string;
  readonly params?: Record<string, unknown>;
  /** Declared outputs; in prod they are what the reply speaks of (docs/architecture.md, the reply channel). */
  readonly manifest?: unknown;
}

/** A query a job ran and the gate allowed, as the audit log recorded it. */
export interface RecordedQuery {
  readonly sql: string;
  readonly params: (string | number | boolean | null)[];
  readonly rowCount?: number | undefined;
  /** sha256 of the rows as the script received them from sql() (JSON of row objects). */
  readonly resultHash?: string | undefined;
}

/**
 * The CLI/HTTP contract: {ok, jobId, outputs:[{name, columns, rowCount}], logs, error?:{code, message}}.
 * In prod the reply is a few bits (prodReply.ts): outputs are the declared ones with a size
 * bucket instead of a row count, the error is one of three coarse codes, no logs, no stats.
 */
export interface RunResult {
  readonly ok: boolean;
  readonly jobId: string;
  readonly env: 'dev' | 'prod';
  readonly outputs: readonly {
    name: string;
    columns: readonly OutputColumn[];
    rowCount?: number;
    size?: SizeBucket;
    preview?: readonly (readonly unknown[])[];
  }[];
  readonly logs: readonly string[];
  readonly error?: { code: ErrorCode; class: ErrorClass; message: string };
  readonly stats?: { sqlCalls: number; cpuMs: number; wallMs: number };
}

/** A job recorded and checked, ready to run here or on a worker node. */
export interface AdmittedJob {
  readonly jobId: string;
  readonly tenant: string;
  readonly env: 'dev' | 'prod';
  readonly user: string;
  readonly script: string;
  readonly scriptHash: string;
  readonly params: Record<string, unknown>;
  readonly manifest: Manifest | undefined;
  readonly limits: ReturnType<typeof resolveLimits>;
  readonly buildId: string | null;
  /** Milliseconds since the epoch at admission (the prod reply's time bucket counts from here). */
  readonly started: number;
}

/** What a dev job's operator sees: outputs with a preview, logs, the error and the job's statistics. */
function devReply(jobId: string, result: WorkerResult): RunResult {
  const error = result.error ? { code: result.error.code, class: errorClassOf(result.error.code), message: result.error.message } : undefined;
  return {
    ok: result.ok,
    jobId,
    env: 'dev',
    outputs: result.outputs.map((o) => ({ name: o.name, columns: o.columns, rowCount: o.rows.length, preview: o.rows.slice(0, 20) })),
    logs: result.logs,
    ...(error ? { error } : {}),
    stats: result.stats,
  };
}

export interface StoredOutput {
  readonly jobId: string;
  readonly name: string;
  readonly columns: readonly OutputColumn[];
  readonly rowCount: number;
  readonly hash: string;
  readonly path: string;
}

export interface JobRecord {
  readonly id: string;
  readonly tenant: string;
  readonly env: 'dev' | 'prod';
  readonly user: string;
  readonly scriptHash: string;
  readonly state: 'queued' | 'running' | 'completed' | 'failed';
  readonly errorCode: string | null;
  /** The error's message: in dev the operator's to read (with the script's line and column); for a prod job, the code's fixed title in the operator's view. */
  readonly errorMessage: string | null;
  readonly buildId: string | null;
  readonly createdAt: string;
  readonly finishedAt: string | null;
  /** The job's outputs: names, columns and row counts (values stay in the domain); an operator's prod view has size buckets instead. */
  readonly outputs: readonly { name: string; columns: readonly OutputColumn[]; rowCount?: number; size?: SizeBucket }[];
}

interface JobRow {
  id: string;
  tenant: string;
  env: 'dev' | 'prod';
  user: string;
  script_hash: string;
  state: JobRecord['state'];
  error_code: string | null;
  error_message: string | null;
  build_id: string | null;
  created_at: string;
  finished_at: string | null;
  manifest: string | null;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** What the audit log keeps of one sql() call: hashes, names and the verdict — never values. */
export function queryAuditData(e: QueryEvent, env: string, buildId: string | null, sqlHash: string): AuditPayloads['QUERY'] {
  return {
    env,
    buildId,
    sqlHash,
    verdict: e.verdict,
    code: e.code,
    reason: e.verdict === 'refused' ? e.reason : undefined,
    tables: e.tables,
    columns: e.columns,
    rowCount: e.rowCount,
    resultHash: e.resultHash,
    resultColumns: e.resultColumns,
    lineage: e.lineage ?? undefined,
    params: e.params && e.params.length > 0 ? e.params : undefined,
  };
}

/** Canonical output hash: fixed column order, rows sorted by their canonical text (replay-stable). */
export function outputHash(columns: readonly OutputColumn[], rows: readonly (readonly unknown[])[]): string {
  const sorted = rows.map((r) => canonicalJson(r)).sort();
  return sha256(`${canonicalJson({ columns })}\n${sorted.join('\n')}`);
}

export class Jobs {
  private readonly openlineage: OpenLineageSink;
  /** Asked before a job starts (an open risk stop refuses it). */
  beforeStart: (tenant: string) => void = () => undefined;
  /** Called after a job whose queries the gate refused (the domain's own risk watch). */
  afterRefusal?: (tenant: string) => void;
  /** Prod replies are held to the next multiple of this (the timing channel's bucket). */
  prodReplyBucketMs = PROD_REPLY_BUCKET_MS;

  /** Privacy budgets the jobs' DP aggregates are charged to. */
  readonly budgets: DpBudgetService;
  /**
   * Jobs go to worker nodes through the queue (OPDOMAIN_JOBS=nodes) instead of this process's
   * own workers: the gateway admits, a node claims and runs, the gateway answers from the record.
   */
  queued = false;
  /** How often a gateway waiting on a queued job looks at its row. */
  queuePollMs = 25;
  readonly queue: JobQueueRepository;
  private readonly scripts: ScriptRepository;

  constructor(private readonly ctx: DomainContext) {
    this.budgets = new DpBudgetService(ctx);
    this.queue = new JobQueueRepository(ctx.store);
    this.scripts = new ScriptRepository(ctx.store);
    this.openlineage = new OpenLineageSink(join(ctx.paths.audit, 'openlineage.jsonl'));
  }

  close(): void {
    this.openlineage.close();
  }

  storeText(text: string): string {
    return this.scripts.put(text);
  }

  text(hash: string): string | undefined {
    return this.scripts.body(hash);
  }

  async run(p: Principal, req: RunRequest): Promise<RunResult> {
    const job = await this.admit(p, req);
    const reply = this.queued ? await this.awaitQueued(job) : await this.execute(job);
    // The reply of a few bits is held to a time bucket from the start, wherever the job ran.
    if (job.env === 'prod') await padToBucket(job.started, this.prodReplyBucketMs);
    return reply;
  }

  /** Checks the request and records the job (and its script) with its start event, durable before it runs. */
  private async admit(p: Principal, req: RunRequest): Promise<AdmittedJob> {
    const { ctx } = this;
    checkRole(p, 'operator');
    if (typeof req.tenant !== 'string') throw new OpError('BAD_REQUEST', 'tenant is required');
    checkTenantScope(p, req.tenant);
    const env = req.env ?? 'dev';
    if (env !== 'dev' && env !== 'prod') throw new OpError('BAD_REQUEST', 'env must be dev or prod');
    if (typeof req.script !== 'string' || req.script.trim() === '') throw new OpError('BAD_REQUEST', 'script is required');
    if (Buffer.byteLength(req.script) > MAX_SCRIPT_BYTES) throw new OpError('BAD_REQUEST', `scripts are at most ${MAX_SCRIPT_BYTES} bytes`);
    const params = req.params ?? {};
    const manifest = parseManifest(req.manifest);
    if (typeof params !== 'object' || Array.isArray(params) || JSON.stringify(params).length > MAX_PARAMS_BYTES) {
      throw new OpError('BAD_REQUEST', `params must be a JSON object of at most ${MAX_PARAMS_BYTES} bytes`);
    }
    const auth = ctx.authorizations.checkOperable(req.tenant);
    this.beforeStart(req.tenant);
    const limits = resolveLimits(auth.limits);
    const started = Date.now();
    const jobId = `job_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
    const buildId = auth.build?.buildId ?? null;
    // Committed with the other jobs starting in this turn (one fsync); durable before the job runs.
    const scriptHash = await ctx.store.txAsync(() => {
      // Asked inside the write: jobs grouped in one commit must not pass the quota together.
      if (env === 'prod') this.checkProdQuota(req.tenant, limits.prodJobsPerDay);
      const hash = this.storeText(req.script);
      ctx.store.run(
        'INSERT INTO jobs (id, tenant, env, user, script_hash, params, state, build_id, created_at, manifest, request) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        jobId,
        req.tenant,
        env,
        p.user,
        hash,
        JSON.stringify(params),
        this.queued ? 'queued' : 'running',
        buildId,
        new Date(started).toISOString(),
        manifest ? JSON.stringify(manifest) : null,
        this.queued ? JSON.stringify({ limits }) : null,
      );
      ctx.audit.append({
        kind: EVENTS.JOB_STARTED,
        actor: p.user,
        tenant: req.tenant,
        subject: jobId,
        data: { env, scriptHash: hash, paramsHash: sha256(canonicalJson(params)), buildId, limits, ...(manifest ? { manifest } : {}) },
      });
      return hash;
    });
    return { jobId, tenant: req.tenant, env, user: p.user, script: req.script, scriptHash, params, manifest, limits, buildId, started };
  }

  /**
   * Runs an admitted job here (the gateway's or CLI's own workers, or a worker node's) and
   * records its end with its outputs; the reply is the operator's (in prod, the few bits, not yet held to the bucket).
   */
  async execute(job: AdmittedJob, opts: { keepReply?: boolean; copies?: TenantFileCopies } = {}): Promise<RunResult> {
    const { ctx } = this;
    const { jobId, env, buildId, params, manifest, limits } = job;
    const tenant = job.tenant;
    const shared = ctx.paths.tenantDb(tenant, env);
    // A worker node with files of its own reads its verified copy (services/tenantFiles.ts).
    const dbPath = opts.copies ? await opts.copies.localCopy(tenant, env, shared) : shared;
    const lineageInfo = {
      jobId,
      tenant: tenant,
      env,
      scriptHash: job.scriptHash,
      script: job.script,
      buildId,
      queries: [] as JobLineageInfo['queries'][number][],
      tableSchemas: (t: string) => (findDataset(t)?.fields ?? []).map((f) => ({ name: f.name, type: f.type })),
    };
    this.openlineage.emit(runEvent('START', lineageInfo));
    // A script repeats its statements: store each text once per job, not once per call.
    const storedSql = new Set<string>();
    let refused = 0;
    // Each query's event is durable before its rows reach the script; concurrent jobs' events
    // share a commit (Store.txAsync), a serial script's wait is one fsync.
    const onQuery = async (e: QueryEvent) => {
      if (e.verdict === 'refused') refused++;
      const sqlHash = sha256(e.sql);
      await ctx.audit.appendInGroup(() => {
        if (!storedSql.has(e.sql)) this.storeText(e.sql);
        return { kind: EVENTS.QUERY, actor: job.user, tenant: tenant, subject: jobId, data: queryAuditData(e, env, buildId, sqlHash) };
      });
      storedSql.add(e.sql);
      if (e.verdict === 'allowed')
        lineageInfo.queries.push({ sql: e.sql, tables: e.tables, ...(e.resultColumns ? { resultColumns: e.resultColumns } : {}), lineage: e.lineage ?? null });
    };
    // A cancel may come from another process: watch the job's flag while it runs.
    const watch = setInterval(() => {
      if (ctx.store.get('SELECT 1 FROM jobs WHERE id = ? AND cancel_requested = 1', jobId)) ctx.supervisor.cancel(jobId);
    }, 250);
    let result: Awaited<ReturnType<typeof ctx.supervisor.run>>;
    try {
      result = await ctx.supervisor.run(
        {
          jobId,
          tenant: tenant,
          env,
          dbPath,
          buildId,
          script: job.script,
          params,
          limits,
          ...(manifest ? { manifest } : {}),
        },
        { onQuery, onStart: (pid) => this.recordWorker(jobId, pid), onBudget: (b) => this.budgets.handle({ tenant: tenant, jobId, env, user: job.user }, b) },
      );
    } finally {
      clearInterval(watch);
    }
    // Cancelled from another process (which could only kill the worker): report it as such.
    if (!result.ok && result.error?.code !== 'JOB_CANCELLED' && ctx.store.get('SELECT 1 FROM jobs WHERE id = ? AND cancel_requested = 1', jobId)) {
      result = { ...result, error: { code: 'JOB_CANCELLED', message: 'the job was cancelled' } };
    }
    const stored = result.ok ? this.saveOutputs(tenant, jobId, result.outputs) : [];
    const state = result.ok ? 'completed' : 'failed';
    const reply = env === 'prod' ? prodReply(jobId, result, manifest) : devReply(jobId, result);
    await ctx.store.txAsync(() => {
      for (const o of stored) {
        ctx.store.run(
          'INSERT INTO outputs (job_id, name, columns, row_count, hash, path) VALUES (?, ?, ?, ?, ?, ?)',
          jobId,
          o.name,
          JSON.stringify(o.columns),
          o.rowCount,
          o.hash,
          o.path,
        );
        ctx.audit.append({
          kind: EVENTS.OUTPUT_CREATED,
          actor: job.user,
          tenant: tenant,
          subject: jobId,
          data: { name: o.name, rowCount: o.rowCount, hash: o.hash, columns: o.columns.map((c) => c.name) },
        });
      }
      ctx.store.run(
        'UPDATE jobs SET state = ?, error_code = ?, error_message = ?, finished_at = ?, result = ? WHERE id = ?',
        state,
        result.error?.code ?? null,
        result.error?.message.slice(0, 2000) ?? null,
        new Date().toISOString(),
        // The gateway that admitted a queued job answers its caller from this reply.
        opts.keepReply ? JSON.stringify(reply) : null,
        jobId,
      );
      ctx.audit.append({
        kind: EVENTS.JOB_FINISHED,
        actor: job.user,
        tenant: tenant,
        subject: jobId,
        data: { state, code: result.error?.code, stats: result.stats },
      });
    });
    // Refusals may add up to a pattern the domain stops on (RiskService.watch).
    if (refused > 0) this.afterRefusal?.(tenant);
    this.openlineage.emit(
      runEvent(result.ok ? 'COMPLETE' : 'FAIL', {
        ...lineageInfo,
        outputs: result.outputs.map((o) => ({ name: o.name, columns: o.columns })),
        ...(result.error ? { error: { code: result.error.code, title: ERRORS[result.error.code].title } } : {}),
      }),
    );
    return reply;
  }

  /**
   * Waits for a queued job's end and answers with the reply its node recorded; a job whose node
   * died ends as JOB_NODE_LOST once its lease runs out (any waiting gateway fails it).
   */
  private async awaitQueued(job: AdmittedJob): Promise<RunResult> {
    for (;;) {
      const row = this.queue.jobState(job.jobId);
      if (!row) throw new OpError('JOB_NOT_FOUND', `job ${job.jobId} is gone`);
      if (row.state === 'completed' || row.state === 'failed') {
        if (row.result) return JSON.parse(row.result) as RunResult;
        // Ended without a node's reply: lost with its node, or cancelled before a node took it.
        const code = (row.error_code ?? 'JOB_FAILED_SCRIPT') as ErrorCode;
        const failed: WorkerResult = {
          ok: false,
          outputs: [],
          logs: [],
          error: { code, message: row.error_message ?? ERRORS[code].title },
          stats: { sqlCalls: 0, cpuMs: 0, wallMs: Date.now() - job.started },
        };
        return job.env === 'prod' ? prodReply(job.jobId, failed, job.manifest) : devReply(job.jobId, failed);
      }
      this.sweepLostJobs();
      await new Promise((r) => setTimeout(r, this.queuePollMs));
    }
  }

  /** Runs a job a worker node claimed from the queue; its reply is kept for the gateway that waits. */
  async runClaimed(row: ClaimedRow, copies?: TenantFileCopies): Promise<RunResult> {
    const script = this.text(row.script_hash);
    const request = row.request ? (JSON.parse(row.request) as { limits: AdmittedJob['limits'] }) : undefined;
    const job: AdmittedJob = {
      jobId: row.id,
      tenant: row.tenant,
      env: row.env,
      user: row.user,
      script: script ?? '',
      scriptHash: row.script_hash,
      params: JSON.parse(row.params) as Record<string, unknown>,
      manifest: row.manifest ? (JSON.parse(row.manifest) as Manifest) : undefined,
      limits: request?.limits ?? resolveLimits(this.ctx.authorizations.current(row.tenant).limits),
      buildId: row.build_id,
      started: Date.parse(row.created_at),
    };
    return this.execute(job, { keepReply: true, ...(copies ? { copies } : {}) });
  }

  /**
   * Ends a claimed job that could not be run at all (its file could not be copied, the store
   * failed mid-way): failed with the error's code and its end event, so no job stays running.
   */
  failClaimed(row: ClaimedRow, node: string, err: unknown): void {
    const e = toOpError(err);
    this.ctx.store.tx(() => {
      const changed = this.ctx.store.run(
        "UPDATE jobs SET state = 'failed', error_code = ?, error_message = ?, finished_at = ? WHERE id = ? AND state = 'running' AND node = ?",
        e.code,
        e.message.slice(0, 2000),
        new Date().toISOString(),
        row.id,
        node,
      ).changes;
      if (changed === 1)
        this.ctx.audit.append({ kind: EVENTS.JOB_FINISHED, actor: 'domain', tenant: row.tenant, subject: row.id, data: { state: 'failed', code: e.code } });
    });
  }

  private lastSweep = 0;

  /** failLostJobs at most once a second in this process, however many callers wait on the queue. */
  private sweepLostJobs(): void {
    if (Date.now() - this.lastSweep < 1000) return;
    this.lastSweep = Date.now();
    this.failLostJobs();
  }

  /** Fails every running job whose node's lease ran out, each with its end event. */
  failLostJobs(now = Date.now()): string[] {
    const failed: string[] = [];
    for (const j of this.queue.expired(now)) {
      const done = this.ctx.store.tx(() => {
        const message = `worker node ${j.node} stopped renewing its lease`;
        if (!this.queue.failExpired(j.id, 'JOB_NODE_LOST', message, now)) return false;
        this.ctx.audit.append({
          kind: EVENTS.JOB_FINISHED,
          actor: 'domain',
          tenant: j.tenant,
          subject: j.id,
          data: { state: 'failed', code: 'JOB_NODE_LOST' },
        });
        return true;
      });
      if (done) failed.push(j.id);
    }
    return failed;
  }

  /** Where a job runs, for a cancel from another process; written with the next group commit. */
  private recordWorker(jobId: string, pid: number): void {
    this.ctx.store
      .txAsync(() => this.ctx.store.run('UPDATE jobs SET host_pid = ?, worker_pid = ? WHERE id = ?', process.pid, pid, jobId))
      .catch(() => {
        // Only a cancel from another process needs it; this host watches its own jobs.
      });
  }

  /** Prod jobs per authorization per 24 hours (the reply channel's bits per day). */
  private checkProdQuota(tenant: string, perDay: number): void {
    const since = new Date(Date.now() - 86_400_000).toISOString();
    const n = this.ctx.store.get<{ n: number }>("SELECT count(*) AS n FROM jobs WHERE tenant = ? AND env = 'prod' AND created_at > ?", tenant, since)!.n;
    if (n >= perDay) throw new OpError('PROD_JOB_QUOTA', `the authorization has started ${perDay} prod jobs in the last 24 hours (its limit); try later`);
  }

  private saveOutputs(tenant: string, jobId: string, outputs: readonly JobOutput[]): StoredOutput[] {
    if (outputs.length === 0) return [];
    const dir = this.ctx.paths.outputsDir(tenant, jobId);
    mkdirSync(dir, { recursive: true });
    return outputs.map((o) => {
      const path = join(dir, `${o.name}.json`);
      writeFileSync(`${path}.tmp`, JSON.stringify({ columns: o.columns, rows: o.rows }));
      renameSync(`${path}.tmp`, path);
      return { jobId, name: o.name, columns: o.columns, rowCount: o.rows.length, hash: outputHash(o.columns, o.rows), path };
    });
  }

  /**
   * Cancels a running job: its worker is killed wherever it runs on this machine (the
   * gateway's pool or a CLI process), and the job ends as JOB_CANCELLED. A job whose host
   * process is gone is closed as cancelled at once.
   */
  cancel(p: Principal, jobId: string): JobRecord {
    checkRole(p, 'operator', 'admin');
    const job = this.job(p, jobId);
    if (job.state !== 'running' && job.state !== 'queued') throw new OpError('JOB_NOT_RUNNING', `job ${jobId} is ${job.state}`);
    this.stop(jobId, job.tenant, p.user);
    return this.job(p, jobId);
  }

  /** Stops every running job of an authorization at once (suspension, termination, sealing, expiry). */
  stopAll(tenant: string, actor: string, reason: string): string[] {
    const ids = this.ctx.store.all<{ id: string }>("SELECT id FROM jobs WHERE tenant = ? AND state IN ('running', 'queued')", tenant).map((r) => r.id);
    for (const id of ids) this.stop(id, tenant, actor, reason);
    return ids;
  }

  private stop(jobId: string, tenant: string, actor: string, reason?: string): void {
    const { ctx } = this;
    const row = ctx.store.get<{ host_pid: number | null; worker_pid: number | null; node: string | null }>(
      'SELECT host_pid, worker_pid, node FROM jobs WHERE id = ?',
      jobId,
    )!;
    const closedInQueue = ctx.store.tx(() => {
      ctx.store.run('UPDATE jobs SET cancel_requested = 1 WHERE id = ?', jobId);
      ctx.audit.append({ kind: EVENTS.JOB_CANCEL_REQUESTED, actor, tenant, subject: jobId, data: reason ? { reason } : {} });
      // Not yet taken by a node: nothing runs, so it ends here (a node's claim skips it).
      if (!this.queue.cancelQueued(jobId)) return false;
      ctx.audit.append({ kind: EVENTS.JOB_FINISHED, actor, tenant, subject: jobId, data: { state: 'failed', code: 'JOB_CANCELLED' } });
      return true;
    });
    if (closedInQueue || ctx.supervisor.cancel(jobId)) return;
    // On a worker node: the node watches the flag and stops the job itself while its lease holds.
    if (row.node) {
      const node = this.queue.node(row.node);
      if (node && Date.parse(node.lease_until) > Date.now()) return;
      this.failLostJobs();
      return;
    }
    const alive = (pid: number | null) => {
      if (!pid) return false;
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    const isWorker = (pid: number) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').match(/sandbox\/worker\.[jt]s/) !== null;
      } catch {
        return false;
      }
    };
    // A live host sees the flag within its watch interval and stops the job itself: its worker
    // may serve other jobs after this one, so only an orphaned worker is killed from here.
    if (alive(row.host_pid)) return;
    if (row.worker_pid && alive(row.worker_pid) && isWorker(row.worker_pid)) process.kill(row.worker_pid, 'SIGKILL');
    // Nobody is left to finish this job: close it here.
    ctx.store.tx(() => {
      ctx.store.run(
        "UPDATE jobs SET state = 'failed', error_code = 'JOB_CANCELLED', finished_at = ? WHERE id = ? AND state = 'running'",
        new Date().toISOString(),
        jobId,
      );
      ctx.audit.append({ kind: EVENTS.JOB_FINISHED, actor, tenant, subject: jobId, data: { state: 'failed', code: 'JOB_CANCELLED' } });
    });
  }

  /** The script a job ran (reviewers judge it with the output; operators see their own tenant's). */
  /** The script a job ran and the parameters it ran with (a reviewer reads the two together: the script's defaults may differ). */
  script(p: Principal, jobId: string): { jobId: string; scriptHash: string; body: string; params: Record<string, unknown> } {
    const job = this.job(p, jobId);
    const body = this.text(job.scriptHash);
    if (body === undefined) throw new OpError('JOB_NOT_FOUND', 'the script is no longer stored');
    const row = this.ctx.store.get<{ params: string }>('SELECT params FROM jobs WHERE id = ?', jobId);
    return { jobId, scriptHash: job.scriptHash, body, params: row ? (JSON.parse(row.params) as Record<string, unknown>) : {} };
  }

  job(p: Principal, jobId: string): JobRecord {
    const r = this.ctx.store.get<JobRow>('SELECT * FROM jobs WHERE id = ?', jobId);
    if (!r || (p.role === 'operator' && r.tenant !== p.tenant)) throw new OpError('JOB_NOT_FOUND', 'no such job in your scope');
    return this.seenBy(p, [r])[0]!;
  }

  /** Records as this person may see them: an operator's prod jobs carry only the reply channel's bits. */
  private seenBy(p: Principal, rows: readonly JobRow[]): JobRecord[] {
    const records = this.records(rows);
    if (p.role !== 'operator') return records;
    return records.map((rec, i) =>
      rec.env === 'prod' ? operatorView(rec, rows[i]!.manifest ? (JSON.parse(rows[i]!.manifest!) as Manifest) : undefined, this.prodReplyBucketMs) : rec,
    );
  }

  list(p: Principal, tenant?: string): JobRecord[] {
    const t = p.role === 'operator' ? p.tenant : tenant;
    return this.seenBy(
      p,
      t
        ? this.ctx.store.all<JobRow>('SELECT * FROM jobs WHERE tenant = ? ORDER BY created_at DESC LIMIT 500', t)
        : this.ctx.store.all<JobRow>('SELECT * FROM jobs ORDER BY created_at DESC LIMIT 500'),
    );
  }

  /** Job rows with their outputs, read in one query for all of them. */
  private records(rows: readonly JobRow[]): JobRecord[] {
    const outputs = new Map<string, JobRecord['outputs'][number][]>();
    if (rows.length > 0) {
      const marks = rows.map(() => '?').join(', ');
      for (const o of this.ctx.store.all<{ job_id: string; name: string; columns: string; row_count: number }>(
        `SELECT job_id, name, columns, row_count FROM outputs WHERE job_id IN (${marks}) ORDER BY name`,
        ...rows.map((r) => r.id),
      )) {
        outputs.set(o.job_id, [...(outputs.get(o.job_id) ?? []), { name: o.name, columns: JSON.parse(o.columns) as OutputColumn[], rowCount: o.row_count }]);
      }
    }
    return rows.map((r) => ({
      id: r.id,
      tenant: r.tenant,
      env: r.env,
      user: r.user,
      scriptHash: r.script_hash,
      state: r.state,
      errorCode: r.error_code,
      errorMessage: r.error_message ?? null,
      buildId: r.build_id,
      createdAt: r.created_at,
      finishedAt: r.finished_at,
      outputs: outputs.get(r.id) ?? [],
    }));
  }

  output(jobId: string, name: string): StoredOutput & { rows: unknown[][] } {
    const r = this.ctx.store.get<{ columns: string; row_count: number; hash: string; path: string }>(
      'SELECT * FROM outputs WHERE job_id = ? AND name = ?',
      jobId,
      name,
    );
    if (!r) throw new OpError('OUTPUT_NOT_FOUND', `job ${jobId} has no output "${name.slice(0, 64)}"`);
    const data = JSON.parse(readFileSync(r.path, 'utf8')) as { rows: unknown[][] };
    if (outputHash(JSON.parse(r.columns), data.rows) !== r.hash) throw new OpError('INTERNAL', 'a stored output no longer matches its recorded hash');
    return { jobId, name, columns: JSON.parse(r.columns), rowCount: r.row_count, hash: r.hash, path: r.path, rows: data.rows };
  }

  /** SQL texts of the queries the job ran and that were allowed (for the export check's lineage). */
  allowedQueries(jobId: string): RecordedQuery[] {
    const out: RecordedQuery[] = [];
    for (const q of this.ctx.audit
      .entries({ subject: jobId, kind: EVENTS.QUERY })
      .filter((e) => e.data.verdict === 'allowed')
      .map((e) => ({
        sql: this.text(String(e.data.sqlHash)),
        params: Array.isArray(e.data.params) ? (e.data.params as (string | number | boolean | null)[]) : [],
        rowCount: typeof e.data.rowCount === 'number' ? e.data.rowCount : undefined,
        resultHash: typeof e.data.resultHash === 'string' ? e.data.resultHash : undefined,
      }))) {
      if (typeof q.sql === 'string') out.push({ ...q, sql: q.sql });
    }
    return out;
  }
}
