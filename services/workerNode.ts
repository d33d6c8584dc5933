// A worker node: a process that takes jobs from the control store's queue and runs them in its
// own sandbox workers (`opdomain node`). It registers with a lease, renews it with a heartbeat
// (and with it the leases of the jobs it runs), and fails the jobs of nodes whose lease ran out.
// A node that stops in order finishes what it holds first; one that dies leaves its jobs to
// end as JOB_NODE_LOST when their lease expires.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Jobs } from './jobs.ts';
import type { ClaimedRow } from './repositories/jobQueue.ts';
import { TenantFileCopies } from './tenantFiles.ts';

export interface WorkerNodeOptions {
  /** Stable name of the node (default: host name and a random suffix). */
  readonly id?: string;
  /** Jobs run at once (default 2: one per core of the reference machine). */
  readonly concurrency?: number;
  /** A lease not renewed for this long marks the node lost (default 5 s). */
  readonly leaseMs?: number;
  /** How often the node renews its lease (default a fifth of the lease). */
  readonly heartbeatMs?: number;
  /** How often an idle node looks for work (default 50 ms). */
  readonly pollMs?: number;
  /**
   * A folder of the node's own where it keeps verified copies of the tenant files it reads
   * (default: none, the jobs read the shared home's files).
   */
  readonly filesDir?: string;
  /** The copies themselves, made some other way (a test's, whose copying damages the file). */
  readonly copies?: TenantFileCopies;
}

export class WorkerNode {
  readonly id: string;
  private readonly leaseMs: number;
  private readonly concurrency: number;
  private running = 0;
  private stopping = false;
  private timers: NodeJS.Timeout[] = [];
  private readonly idle: (() => void)[] = [];

  constructor(
    private readonly jobs: Jobs,
    private readonly opts: WorkerNodeOptions = {},
  ) {
    this.id = opts.id ?? `${hostname()}-${randomBytes(3).toString('hex')}`;
    this.leaseMs = opts.leaseMs ?? 5000;
    this.concurrency = Math.max(1, opts.concurrency ?? 2);
    this.copies = opts.copies ?? (opts.filesDir ? new TenantFileCopies(opts.filesDir) : undefined);
  }

  private readonly copies: TenantFileCopies | undefined;

  start(): void {
    const now = Date.now();
    this.jobs.queue.registerNode({
      id: this.id,
      host: hostname(),
      pid: process.pid,
      kind: 'worker',
      started_at: new Date(now).toISOString(),
      heartbeat_at: new Date(now).toISOString(),
      lease_until: new Date(now + this.leaseMs).toISOString(),
    });
    const beat = setInterval(() => this.beat(), this.opts.heartbeatMs ?? Math.max(100, Math.floor(this.leaseMs / 5)));
    const poll = setInterval(() => this.fill(), this.opts.pollMs ?? 50);
    this.timers = [beat, poll];
    this.fill();
  }

  private beat(): void {
    try {
      this.jobs.queue.heartbeat(this.id, this.leaseMs);
      this.jobs.failLostJobs();
    } catch {
      // A store that does not answer now may answer at the next beat; the lease tells the others.
    }
  }

  /** Claims jobs while there is room. */
  private fill(): void {
    while (!this.stopping && this.running < this.concurrency) {
      let row: ClaimedRow | undefined;
      try {
        row = this.jobs.queue.claim(this.id, this.leaseMs);
      } catch {
        return;
      }
      if (!row) return;
      this.running++;
      const claimed = row;
      this.jobs
        .runClaimed(claimed, this.copies)
        .catch((err: unknown) => {
          try {
            this.jobs.failClaimed(claimed, this.id, err);
          } catch {
            // The store is gone too: the job's lease runs out and it ends as JOB_NODE_LOST.
          }
        })
        .finally(() => {
          this.running--;
          if (this.running === 0) for (const done of this.idle.splice(0)) done();
          this.fill();
        });
    }
  }

  /** Takes no more jobs, finishes those it holds, and leaves the store's list of live nodes. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const t of this.timers) clearInterval(t);
    if (this.running > 0) await new Promise<void>((r) => this.idle.push(r));
    this.jobs.queue.stopNode(this.id);
  }
}
