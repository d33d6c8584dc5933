// The supervisor: owns job worker processes. Keeps a pool of warm workers (started, modules
// loaded, no job yet), gives each job a fresh one, and kills it at its wall-clock limit or
// memory cap whatever allocated the memory (V8, DuckDB or anything else). The host process
// never runs operator code and survives whatever a job does.
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { OpError, toOpError, type ErrorCode } from '../errors/index.ts';
import { ISOLATE_OOM_MARKER, type FromWorker, type JobSpec, type QueryEvent, type ToWorker, type WorkerResult } from './protocol.ts';

const WORKER_ENTRY = fileURLToPath(new URL('./worker.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');
/** Extra time the worker gets to report a timeout itself before it is killed. */
const KILL_GRACE_MS = 2_000;

export interface SupervisorOptions {
  /** Warm idle workers kept ready (0 = start one per job on demand). */
  readonly poolSize?: number;
}

export interface RunHooks {
  /** Called for each sql(); must durably audit before resolving. A rejection refuses the query. */
  onQuery(event: QueryEvent): Promise<void> | void;
  /** Called once the job is handed to its worker process. */
  onStart?(workerPid: number): void;
}

interface Worker {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
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
  ok: false, outputs: [], logs: [], error: { code, message }, stats: { sqlCalls: 0, cpuMs: 0, wallMs },
});

export class Supervisor {
  private readonly poolSize: number;
  private readonly idle: Worker[] = [];
  private readonly running = new Map<string, (code: ErrorCode, message: string) => void>();
  private closed = false;

  constructor(opts: SupervisorOptions = {}) {
    this.poolSize = Math.max(0, opts.poolSize ?? 0);
    this.refill();
  }

  private spawn(): Worker {
    const child = fork(WORKER_ENTRY, [], {
      execArgv: ['--no-node-snapshot', '--import', TSX, '--max-old-space-size=1024'],
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
    return { child, ready };
  }

  private refill(): void {
    while (!this.closed && this.idle.length < this.poolSize) {
      const w = this.spawn();
      this.idle.push(w);
      w.child.once('exit', () => {
        const i = this.idle.indexOf(w);
        if (i >= 0) this.idle.splice(i, 1);
      });
    }
  }

  /** Runs one job in a fresh worker. Never throws for job failures: they come back as results. */
  async run(job: JobSpec, hooks: RunHooks): Promise<WorkerResult> {
    if (this.closed) throw new OpError('INTERNAL', 'the supervisor is closed');
    const started = Date.now();
    const worker = this.idle.shift() ?? this.spawn();
    this.refill();
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
    if (cancelledEarly) {
      this.running.delete(job.jobId);
      worker.child.kill('SIGKILL');
      return failed('JOB_CANCELLED', 'the job was cancelled', Date.now() - started);
    }
    const { child } = worker;
    // The last few KB of the worker's stderr tell a V8 abort from other deaths.
    let stderrTail = '';
    child.stderr?.on('data', (b: Buffer) => {
      stderrTail = (stderrTail + b.toString('utf8')).slice(-4096);
    });
    return new Promise<WorkerResult>((resolve) => {
      let settled = false;
      let killedFor: { code: ErrorCode; message: string } | undefined;
      const finish = (r: WorkerResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(wall);
        clearInterval(mem);
        this.running.delete(job.jobId);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        resolve(r);
      };
      const kill = (code: ErrorCode, message: string) => {
        killedFor ??= { code, message };
        child.kill('SIGKILL');
      };
      this.running.set(job.jobId, kill);
      const wall = setTimeout(() => kill('SANDBOX_TIMEOUT', `the job ran longer than its wall-clock limit of ${job.limits.wallMs} ms`), job.limits.wallMs + KILL_GRACE_MS);
      const mem = setInterval(() => {
        const rss = child.pid ? rssMb(child.pid) : undefined;
        if (rss !== undefined && rss > job.limits.workerMemoryMb) kill('SANDBOX_WORKER_MEMORY', `the job's worker used more than ${job.limits.workerMemoryMb} MB and was killed`);
      }, 50);
      child.on('message', (m: FromWorker) => {
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
        } else if (m.type === 'done') {
          finish(m.result);
        }
      });
      child.once('exit', (code, signal) => {
        const wallMs = Date.now() - started;
        if (killedFor) finish(failed(killedFor.code, killedFor.message, wallMs));
        else if (stderrTail.includes(ISOLATE_OOM_MARKER)) finish(failed('SANDBOX_MEMORY_LIMIT', `the script exhausted its ${job.limits.isolateMemoryMb} MB isolate beyond recovery`, wallMs));
        else finish(failed('SANDBOX_WORKER_CRASHED', `the job's worker died (${signal ?? `exit ${code}`})`, wallMs));
      });
      child.send({ type: 'run', job } satisfies ToWorker);
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
    for (const w of this.idle.splice(0)) w.child.kill('SIGKILL');
    for (const kill of this.running.values()) kill('SANDBOX_WORKER_CRASHED', 'the supervisor shut down');
  }
}
