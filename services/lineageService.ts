// Security staff's view of the audit log: verify it, trace any node of the lineage graph,
// fetch checkpoints and proofs.
import { ScriptRepository } from './repositories/scripts.ts';
import { existsSync } from 'node:fs';
import { OpError } from '../errors/index.ts';
import { EVENTS, LineageGraph, type AuditFilter, type Checkpoint, type TraceTree, type VerifyReport } from '../lineage/index.ts';
import { resolveLimits } from '../sandbox/index.ts';
import type { DomainContext } from './context.ts';
import { outputHash, queryAuditData } from './jobs.ts';
import { checkRole, type Principal } from './principal.ts';

export interface ReplayReport {
  readonly jobId: string;
  /** MATCH: every output hashes as recorded. MISMATCH: names the outputs that differ. */
  readonly result: 'MATCH' | 'MISMATCH' | 'NOT_REPLAYABLE';
  readonly reason?: string;
  readonly outputs: readonly { name: string; recorded: string | null; replayed: string | null; match: boolean }[];
}

export class LineageService {
  constructor(private readonly ctx: DomainContext) {}

  async verify(p: Principal, fromCheckpoint?: Checkpoint): Promise<VerifyReport> {
    checkRole(p, 'security', 'admin');
    const report = await this.ctx.audit.verify([this.ctx.domainKey.publicJwk], fromCheckpoint);
    this.ctx.audit.append({
      kind: EVENTS.LOG_VERIFIED,
      actor: p.user,
      data: { ok: report.ok, entries: report.entries, root: report.root, problem: report.problem },
    });
    return report;
  }

  trace(p: Principal, id: string, direction: 'up' | 'down' = 'up'): TraceTree {
    checkRole(p, 'security', 'admin', 'reviewer');
    if (typeof id !== 'string' || id.length === 0 || id.length > 200) throw new OpError('BAD_REQUEST', 'a node id is required');
    const graph = LineageGraph.fromEntries(this.ctx.audit.entries());
    const tree = graph.trace(id, direction);
    if (!tree) throw new OpError('LINEAGE_NODE_NOT_FOUND', `no lineage node "${id.slice(0, 100)}"`);
    return tree;
  }

  /**
   * Re-runs a recorded job — the same stored script and parameters against the same tenant
   * build — and compares each output's canonical hash with the recorded one. Works on sealed
   * domains (their data is kept); a job whose build is gone can no longer be replayed, while
   * the log still proves what happened. Appends a REPLAY event either way.
   */
  async replay(p: Principal, jobId: string): Promise<ReplayReport> {
    const { ctx } = this;
    checkRole(p, 'security', 'admin');
    const job = ctx.store.get<{ id: string; tenant: string; env: 'dev' | 'prod'; script_hash: string; params: string; state: string; build_id: string | null }>(
      'SELECT * FROM jobs WHERE id = ?',
      jobId,
    );
    if (!job) throw new OpError('JOB_NOT_FOUND');
    const recorded = ctx.audit.entries({ subject: jobId, kind: EVENTS.OUTPUT_CREATED }).map((e) => ({ name: String(e.data.name), hash: String(e.data.hash) }));
    const finish = (report: ReplayReport): ReplayReport => {
      ctx.audit.append({
        kind: EVENTS.REPLAY,
        actor: p.user,
        tenant: job.tenant,
        subject: jobId,
        data: { result: report.result, reason: report.reason, outputs: report.outputs },
      });
      return report;
    };
    const auth = ctx.authorizations.find(job.tenant);
    const dbPath = ctx.paths.tenantDb(job.tenant, job.env);
    const script = new ScriptRepository(ctx.store).body(job.script_hash);
    let reason: string | undefined;
    if (job.state !== 'completed') reason = `the job did not complete (${job.state})`;
    else if (!auth || auth.state === 'destroyed' || !existsSync(dbPath)) reason = "the domain's data is gone (destroyed): the job can no longer be replayed";
    else if (auth.build?.buildId !== job.build_id)
      reason = `the domain was rebuilt since (build ${auth.build?.buildId ?? 'none'}, the job ran on ${job.build_id})`;
    else if (!script) reason = "the job's script is no longer stored";
    if (reason)
      return finish({
        jobId,
        result: 'NOT_REPLAYABLE',
        reason,
        outputs: recorded.map((r) => ({ name: r.name, recorded: r.hash, replayed: null, match: false })),
      });
    const result = await ctx.supervisor.run(
      {
        jobId: `replay-${jobId}`,
        tenant: job.tenant,
        env: job.env,
        dbPath,
        buildId: job.build_id,
        script: script!,
        params: JSON.parse(job.params),
        limits: resolveLimits(auth!.limits),
      },
      {
        onQuery: (e) => {
          ctx.audit.append({
            kind: EVENTS.QUERY,
            actor: p.user,
            tenant: job.tenant,
            subject: `replay:${jobId}`,
            data: queryAuditData(e, job.env, job.build_id, e.sqlHash),
          });
        },
      },
    );
    if (!result.ok)
      return finish({
        jobId,
        result: 'MISMATCH',
        reason: `the replay failed with ${result.error?.code}`,
        outputs: recorded.map((r) => ({ name: r.name, recorded: r.hash, replayed: null, match: false })),
      });
    const replayed = new Map(result.outputs.map((o) => [o.name, outputHash(o.columns, o.rows)]));
    const names = [...new Set([...recorded.map((r) => r.name), ...replayed.keys()])].sort();
    const outputs = names.map((name) => {
      const rec = recorded.find((r) => r.name === name)?.hash ?? null;
      const rep = replayed.get(name) ?? null;
      return { name, recorded: rec, replayed: rep, match: rec !== null && rec === rep };
    });
    const bad = outputs.filter((o) => !o.match).map((o) => o.name);
    return finish({
      jobId,
      result: bad.length === 0 ? 'MATCH' : 'MISMATCH',
      ...(bad.length ? { reason: `outputs that differ: ${bad.join(', ')}` } : {}),
      outputs,
    });
  }

  /** One entry with its inclusion proof under the latest signed checkpoint (made now if needed). */
  async prove(p: Principal, seq: number) {
    checkRole(p, 'security', 'admin');
    if (!Number.isSafeInteger(seq) || seq < 1) throw new OpError('BAD_REQUEST', 'seq must be a positive integer');
    let cp = this.ctx.audit.latestCheckpoint();
    if (!cp || cp.size < seq) cp = await this.ctx.audit.checkpoint();
    return this.ctx.audit.entryWithProof(seq, cp);
  }

  /** A consistency proof between two tree sizes (both signed by checkpoints an auditor holds). */
  consistency(p: Principal, from: number, to: number): { from: number; to: number; proof: string[] } {
    checkRole(p, 'security', 'admin');
    if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to)) throw new OpError('BAD_REQUEST', 'from and to must be integers');
    return { from, to, proof: this.ctx.audit.consistencyProof(from, to) };
  }

  /** The latest signed checkpoint (made now if there is none). */
  async latestCheckpoint(p: Principal): Promise<Checkpoint> {
    checkRole(p, 'security', 'admin', 'reviewer');
    return this.ctx.audit.latestCheckpoint() ?? (await this.ctx.audit.checkpoint());
  }

  /** Retention (R16): see AuditLog.purge. Administrators only. */
  purge(p: Principal, before: Date): number {
    checkRole(p, 'admin');
    if (Number.isNaN(before.getTime())) throw new OpError('BAD_REQUEST', 'before must be a date');
    return this.ctx.audit.purge(before, p.user);
  }

  async checkpoint(): Promise<Checkpoint> {
    return this.ctx.audit.checkpoint();
  }

  entries(p: Principal, filter: AuditFilter) {
    checkRole(p, 'security', 'admin');
    return this.ctx.audit.entries(filter);
  }
}
