// The supervisor: owns job worker processes. Workers are long-lived and keyed by the tenant
// file they hold open (sandbox/tenantDb.ts): a job goes to an idle worker of its file, else to
// a warm spare (started, modules loaded, no file yet), else to a new one. One job at a time
// per worker; the supervisor kills a worker at its job's wall-clock limit or memory cap
// whatever allocated the memory (V8, DuckDB or anything else), and retires one that a limit
// stopped, that grew, or that served its share of jobs. The host process never runs operator
// code and survives whatever a job does.
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OpError, toOpError, type ErrorCode } from '../errors/index.ts';
import { ISOLATE_OOM_MARKER, type BudgetRequest, type FromWorker, type JobSpec, type QueryEvent, type ToWorker, type WorkerResult } from './protocol.ts';
import { tenantDbKey } from './tenantDb.ts';

// Compiled (dist/, bin/build.js) the worker starts from JavaScript; from the sources, through tsx.
const COMPILED = import.meta.url.endsWith('.js');
const WORKER_ENTRY = fileURLToPath(new URL(COMPILED ? './worker.js' : './worker.ts', import.meta.url));
const LOADER = COMPILED ? [] : ['--import', import.meta.resolve('tsx')];
/** Extra time the worker gets to report a timeout itself before it is killed. */
const KILL_GRACE_MS = 2_000;

export interface SupervisorOptions {
  /** Warm spare workers kept ready, holding no file yet (0 = start them on demand). */
  readonly poolSize?: number;
  /** Idle workers kept per tenant file once their job is done (0 = a worker serves one job). */
  readonly idlePerFile?: number;
  /** An idle worker exits after this long without a job. */
  readonly idleMs?: number;
  /** A worker retires after this many jobs (bounds whatever slow growth a long life brings). */
  readonly jobsPerWorker?: number;
  /** Idle workers kept over all files; past it the one idle longest makes room. */
  readonly maxIdle?: number;
}

export interface RunHooks {
  /** Called for each sql(); must durably audit before resolving. A rejection refuses the query. */
  onQuery(event: QueryEvent): Promise<void> | void;
  /** Called once the job is handed to its worker process. */
  onStart?(workerPid: number): void;
  /** A DP aggregate's budget (reserve before, settle after); without it, DP aggregates are refused. */
  onBudget?(request: BudgetRequest): Promise<unknown> | unknown;
}

interface Worker {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  /** The tenant file version it holds open, once it has served a job. */
  key?: string;
  jobs: number;
  idleTimer?: NodeJS.Timeout;
  parkedAt?: number;
}

function rssMb(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(status);
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

const failed = (code: ErrorCode, message: string, wallMs: number): WorkerResult => ({
  ok: false,
  outputs: [],
  logs: [],
  error: { code, message },
  stats: { sqlCalls: 0, cpuMs: 0, wallMs },
});

export class Supervisor {
  private readonly poolSize: number;
  private readonly idlePerFile: number;
  private readonly idleMs: number;
  private readonly jobsPerWorker: number;
  private readonly maxIdle: number;
  private readonly spares: Worker[] = [];
  /** Idle workers by the tenant file key they hold. */
  private readonly idle = new Map<string, Worker[]>();
  private readonly running = new Map<string, (code: ErrorCode, message: string) => void>();
  private closed = false;

  constructor(opts: SupervisorOptions = {}) {
    this.poolSize = Math.max(0, opts.poolSize ?? 0);
    this.idlePerFile = Math.max(0, opts.idlePerFile ?? 4);
    this.idleMs = opts.idleMs ?? 5 * 60_000;
    this.jobsPerWorker = opts.jobsPerWorker ?? 1000;
    this.maxIdle = Math.max(0, opts.maxIdle ?? 16);
    this.refill();
  }

  private spawn(): Worker {
    const child = fork(WORKER_ENTRY, [], {
      execArgv: ['--no-node-snapshot', ...LOADER, '--max-old-space-size=1024'],
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: { NODE_ENV: process.env.NODE_ENV ?? 'production', PATH: process.env.PATH ?? '' },
    });
    child.stderr?.resume();
    const ready = new Promise<void>((resolve, reject) => {
      const onMsg = (m: FromWorker) => {
        if (m.type === 'ready') {
          child.off('message', onMsg);
          resolve();
        }
      };
      child.on('message', onMsg);
      child.once('exit', () => reject(new OpError('SANDBOX_WORKER_CRASHED', 'the worker exited before it was ready')));
    });
    ready.catch(() => undefined);
    const w: Worker = { child, ready, jobs: 0 };
    // Wherever it waits, a worker that dies leaves the lists.
    child.once('exit', () => this.forget(w));
    return w;
  }

  private forget(w: Worker): void {
    clearTimeout(w.idleTimer);
    const i = this.spares.indexOf(w);
    if (i >= 0) this.spares.splice(i, 1);
    const list = w.key ? this.idle.get(w.key) : undefined;
    const j = list?.indexOf(w) ?? -1;
    if (list && j >= 0) list.splice(j, 1);
    if (list?.length === 0) this.idle.delete(w.key!);
  }

  private refill(): void {
    while (!this.closed && this.spares.length < this.poolSize) this.spares.push(this.spawn());
  }

  /** An idle worker of this file version, else a spare, else a new worker. */
  private take(key: string, dbPath: string): Worker {
    // A rebuilt file has a new key: the workers holding the old version are of no more use.
    for (const k of [...this.idle.keys()]) if (k !== key && k.startsWith(`${dbPath}|`)) this.retireKey(k);
    const w = this.idle.get(key)?.pop() ?? this.spares.shift() ?? this.spawn();
    this.forget(w);
    this.refill();
    return w;
  }

  /** Back to the idle list of its file, or gone. */
  private park(w: Worker, key: string, reusable: boolean, limitMb: number): void {
    const rss = w.child.pid ? rssMb(w.child.pid) : undefined;
    const list = this.idle.get(key) ?? [];
    const healthy = reusable && !this.closed && w.jobs < this.jobsPerWorker && rss !== undefined && rss < limitMb * 0.75;
    if (!healthy || list.length >= this.idlePerFile || this.maxIdle === 0 || w.child.exitCode !== null) {
      w.child.kill('SIGKILL');
      return;
    }
    const all = [...this.idle.values()].flat();
    if (all.length >= this.maxIdle) {
      const oldest = all.reduce((a, b) => ((a.parkedAt ?? 0) <= (b.parkedAt ?? 0) ? a : b));
      this.forget(oldest);
      oldest.child.kill('SIGKILL');
    }
    w.key = key;
    w.parkedAt = Date.now();
    list.push(w);
    this.idle.set(key, list);
    w.idleTimer = setTimeout(() => w.child.kill('SIGKILL'), this.idleMs);
    w.idleTimer.unref();
  }

  private retireKey(key: string): void {
    for (const w of this.idle.get(key) ?? []) {
      clearTimeout(w.idleTimer);
      w.child.kill('SIGKILL');
    }
    this.idle.delete(key);
  }

  /** Idle workers holding a file under this folder exit (an authorization suspended, destroyed, rebuilt). */
  retire(folder: string): void {
    const prefix = folder.endsWith(sep) ? folder : `${folder}${sep}`;
    for (const k of [...this.idle.keys()]) if (k.startsWith(prefix)) this.retireKey(k);
  }

  /** Runs one job in a worker of its own. Never throws for job failures: they come back as results. */
  async run(job: JobSpec, hooks: RunHooks): Promise<WorkerResult> {
    if (this.closed) throw new OpError('INTERNAL', 'the supervisor is closed');
    const started = Date.now();
    const dbKey = tenantDbKey(job.dbPath, job.limits);
    const worker = this.take(dbKey, job.dbPath);
    // A cancel can arrive while the worker is still starting: remember it.
    let cancelledEarly = false;
    this.running.set(job.jobId, () => {
      cancelledEarly = true;
    });
    try {
      await worker.ready;
    } catch (err) {
      this.running.delete(job.jobId);
      return failed('SANDBOX_WORKER_CRASHED', toOpError(err).message, Date.now() - started);
    }
    if (cancelledEarly || worker.child.exitCode !== null) {
      this.running.delete(job.jobId);
      worker.child.kill('SIGKILL');
      return failed(
        cancelledEarly ? 'JOB_CANCELLED' : 'SANDBOX_WORKER_CRASHED',
        cancelledEarly ? 'the job was cancelled' : 'the worker exited before the job',
        Date.now() - started,
      );
    }
    worker.jobs++;
    return this.watch(worker, job, dbKey, hooks, started);
  }

  /** Hands the job over and watches it: audit round trips, wall clock, memory, the worker's death. */
  private watch(worker: Worker, job: JobSpec, dbKey: string, hooks: RunHooks, started: number): Promise<WorkerResult> {
    const { child } = worker;
    // The last few KB of the worker's stderr tell a V8 abort from other deaths.
    let stderrTail = '';
    const onStderr = (b: Buffer) => {
      stderrTail = (stderrTail + b.toString('utf8')).slice(-4096);
    };
    child.stderr?.on('data', onStderr);
    return new Promise<WorkerResult>((resolve) => {
      let settled = false;
      let killedFor: { code: ErrorCode; message: string } | undefined;
      const finish = (r: WorkerResult, reusable: boolean) => {
        if (settled) return;
        settled = true;
        clearTimeout(wall);
        clearInterval(mem);
        this.running.delete(job.jobId);
        child.off('message', onMessage);
        child.off('exit', onExit);
        child.stderr?.off('data', onStderr);
        if (child.exitCode === null && child.signalCode === null) this.park(worker, dbKey, reusable && !killedFor, job.limits.workerMemoryMb);
        resolve(r);
      };
      const kill = (code: ErrorCode, message: string) => {
        killedFor ??= { code, message };
        child.kill('SIGKILL');
      };
      this.running.set(job.jobId, kill);
      const wall = setTimeout(
        () => kill('SANDBOX_TIMEOUT', `the job ran longer than its wall-clock limit of ${job.limits.wallMs} ms`),
        job.limits.wallMs + KILL_GRACE_MS,
      );
      const mem = setInterval(() => {
        const rss = child.pid ? rssMb(child.pid) : undefined;
        if (rss !== undefined && rss > job.limits.workerMemoryMb)
          kill('SANDBOX_WORKER_MEMORY', `the job's worker used more than ${job.limits.workerMemoryMb} MB and was killed`);
      }, 50);
      const onMessage = (m: FromWorker) => {
        if (m.type === 'query') {
          Promise.resolve()
            .then(() => hooks.onQuery(m.event))
            .then(
              () => child.send({ type: 'ack', id: m.id, ok: true } satisfies ToWorker),
              (err) => {
                const e = toOpError(err);
                child.send({ type: 'ack', id: m.id, ok: false, error: { code: e.code, message: e.message } } satisfies ToWorker);
              },
            )
            .catch(() => undefined);
        } else if (m.type === 'budget') {
          Promise.resolve()
            .then(() => {
              if (!hooks.onBudget) throw new OpError('DP_BUDGET_EXHAUSTED', 'this domain keeps no privacy budgets');
              return hooks.onBudget(m.request);
            })
            .then(
              (value) => child.send({ type: 'ack', id: m.id, ok: true, value } satisfies ToWorker),
              (err) => {
                const e = toOpError(err);
                child.send({ type: 'ack', id: m.id, ok: false, error: { code: e.code, message: e.message } } satisfies ToWorker);
              },
            )
            .catch(() => undefined);
        } else if (m.type === 'done') {
          finish(m.result, m.reusable);
        }
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
        const wallMs = Date.now() - started;
        if (killedFor) finish(failed(killedFor.code, killedFor.message, wallMs), false);
        else if (stderrTail.includes(ISOLATE_OOM_MARKER))
          finish(failed('SANDBOX_MEMORY_LIMIT', `the script exhausted its ${job.limits.isolateMemoryMb} MB isolate beyond recovery`, wallMs), false);
        else finish(failed('SANDBOX_WORKER_CRASHED', `the job's worker died (${signal ?? `exit ${code}`})`, wallMs), false);
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
      child.send({ type: 'run', job, dbKey } satisfies ToWorker);
      if (child.pid) hooks.onStart?.(child.pid);
    });
  }

  /** Stops a running job (its worker is killed); false if no such job is running here. */
  cancel(jobId: string): boolean {
    const kill = this.running.get(jobId);
    if (!kill) return false;
    kill('JOB_CANCELLED', 'the job was cancelled');
    return true;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.spares.splice(0)) w.child.kill('SIGKILL');
    for (const k of [...this.idle.keys()]) this.retireKey(k);
    for (const kill of this.running.values()) kill('SANDBOX_WORKER_CRASHED', 'the supervisor shut down');
  }
}
