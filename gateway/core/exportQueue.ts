// Export requests: the automatic check, the approval queue (N-of-M reviewers, no self-approval)
// and release as a signed bundle. Each state change commits with its audit event; the
// transitions come from exports/states.ts.
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OpError } from '../../errors/index.ts';
import {
  DEFAULT_THRESHOLDS, checkTransition, runChecks, verifyBundle, withCheckContext, writeBundle,
  type ExportAction, type ExportState, type Manifest, type RuleResult, type Verdict, type BundleVerification,
} from '../../exports/index.ts';
import { EVENTS } from '../../lineage/index.ts';
import type { DomainContext } from './context.ts';
import type { Jobs } from './jobs.ts';
import { canSeeTenant, checkRole, checkTenantScope, type Principal } from './principal.ts';

export interface ExportRequestView {
  readonly id: string;
  readonly tenant: string;
  readonly jobId: string;
  readonly output: string;
  readonly scenario: string;
  readonly requester: string;
  readonly state: ExportState;
  readonly verdict: Verdict;
  readonly rules: readonly RuleResult[];
  readonly requiredApprovals: number;
  readonly votes: readonly { reviewer: string; decision: string; comment: string | null; at: string }[];
  readonly bundle: { readonly id: string; readonly path: string } | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

interface RequestRow {
  id: string;
  tenant: string;
  job_id: string;
  output: string;
  scenario: string;
  requester: string;
  state: ExportState;
  verdict: Verdict;
  report: string;
  required_approvals: number;
  bundle_path: string | null;
  created_at: string;
  updated_at: string;
}

const BUNDLE_VALID_DAYS = 365;

export class ExportQueue {
  constructor(private readonly ctx: DomainContext, private readonly jobs: Jobs) {}

  async request(p: Principal, req: { jobId: string; output: string; scenario?: string }): Promise<ExportRequestView> {
    const { ctx } = this;
    checkRole(p, 'operator');
    if (typeof req.jobId !== 'string' || typeof req.output !== 'string') throw new OpError('BAD_REQUEST', 'jobId and output are required');
    const job = this.jobs.job(p, req.jobId);
    checkTenantScope(p, job.tenant);
    const auth = ctx.authorizations.checkOperable(job.tenant);
    if (job.env !== 'prod') throw new OpError('EXPORT_FROM_DEV', 'only outputs of prod jobs can be exported; run the script with --env prod');
    if (job.state !== 'completed') throw new OpError('OUTPUT_NOT_FOUND', `job ${job.id} did not complete`);
    const scenario = req.scenario ?? auth.scenarios[0]!;
    if (!auth.scenarios.includes(scenario)) throw new OpError('EXPORT_SCENARIO_NOT_GRANTED', `scenario "${String(scenario).slice(0, 64)}" is not one of this authorization's scenarios`);
    const out = this.jobs.output(job.id, req.output);
    const report = await withCheckContext(
      {
        rawPath: ctx.paths.rawDb,
        tenantProdPath: ctx.paths.tenantDb(job.tenant, 'prod'),
        queries: this.jobs.allowedQueries(job.id),
        thresholds: DEFAULT_THRESHOLDS,
        output: { name: out.name, columns: out.columns, rows: out.rows },
      },
      runChecks,
    );
    const id = `exp_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
    const state: ExportState = report.verdict === 'block' ? 'blocked' : 'submitted';
    const required = report.verdict === 'review' ? 2 : 1;
    const at = new Date().toISOString();
    ctx.store.tx(() => {
      ctx.store.run(
        `INSERT INTO export_requests (id, tenant, job_id, output, scenario, requester, state, verdict, report, required_approvals, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        id, job.tenant, job.id, out.name, scenario, p.user, state, report.verdict, JSON.stringify(report.rules), required, at, at,
      );
      ctx.audit.append({
        kind: EVENTS.EXPORT_REQUESTED, actor: p.user, tenant: job.tenant, subject: id,
        data: { jobId: job.id, output: out.name, outputHash: out.hash, scenario, verdict: report.verdict, state, rules: report.rules.map((r) => ({ rule: r.rule, verdict: r.verdict })), requiredApprovals: required },
      });
    });
    return this.view(this.row(id));
  }

  private row(id: string): RequestRow {
    const r = this.ctx.store.get<RequestRow>('SELECT * FROM export_requests WHERE id = ?', id);
    if (!r) throw new OpError('EXPORT_NOT_FOUND', 'no such export request');
    return r;
  }

  private view(r: RequestRow): ExportRequestView {
    const votes = this.ctx.store.all<{ reviewer: string; decision: string; comment: string | null; at: string }>(
      'SELECT reviewer, decision, comment, at FROM votes WHERE request_id = ? ORDER BY at', r.id,
    );
    return {
      id: r.id, tenant: r.tenant, jobId: r.job_id, output: r.output, scenario: r.scenario, requester: r.requester, state: r.state,
      verdict: r.verdict, rules: JSON.parse(r.report), requiredApprovals: r.required_approvals, votes,
      bundle: r.bundle_path ? { id: r.bundle_path.split('/').pop()!, path: r.bundle_path } : null, createdAt: r.created_at, updatedAt: r.updated_at,
    };
  }

  get(p: Principal, id: string): ExportRequestView {
    const r = this.row(id);
    if (!canSeeTenant(p, r.tenant)) throw new OpError('EXPORT_NOT_FOUND', 'no such export request');
    return this.view(r);
  }

  list(p: Principal, filter: { state?: string; tenant?: string } = {}): ExportRequestView[] {
    const rows = this.ctx.store.all<RequestRow>('SELECT * FROM export_requests ORDER BY created_at DESC LIMIT 1000');
    return rows
      .filter((r) => canSeeTenant(p, r.tenant) && (!filter.state || r.state === filter.state) && (!filter.tenant || r.tenant === filter.tenant))
      .map((r) => this.view(r));
  }

  /** The output rows a reviewer judges (reviewers see the output itself). Viewing is audited. */
  outputOf(p: Principal, id: string): { columns: unknown; rows: unknown[][] } {
    const r = this.row(id);
    if (!canSeeTenant(p, r.tenant)) throw new OpError('EXPORT_NOT_FOUND', 'no such export request');
    // Not operators: in prod they never see values; the output reaches them only as a released bundle.
    checkRole(p, 'reviewer', 'security', 'admin');
    const out = this.jobs.output(r.job_id, r.output);
    this.ctx.audit.append({ kind: EVENTS.EXPORT_VIEWED, actor: p.user, tenant: r.tenant, subject: id, data: { output: r.output } });
    return { columns: out.columns, rows: out.rows };
  }

  /** approve | return | reject by a reviewer; release happens when enough approvals are in. */
  async decide(p: Principal, id: string, decision: 'approve' | 'return' | 'reject', comment?: string): Promise<ExportRequestView> {
    const { ctx } = this;
    // Self-approval is refused as such, whatever the caller's role, before anything else.
    const requester = this.row(id).requester;
    if (requester === p.user) throw new OpError('EXPORT_SELF_APPROVAL', 'nobody may decide on their own export request');
    checkRole(p, 'reviewer');
    if (!['approve', 'return', 'reject'].includes(decision)) throw new OpError('BAD_REQUEST', 'decision must be approve, return or reject');
    if (comment !== undefined && (typeof comment !== 'string' || comment.length > 2000)) throw new OpError('BAD_REQUEST', 'comment must be a string of at most 2000 characters');
    const released = ctx.store.tx(() => {
      const r = this.row(id);
      if (ctx.store.get('SELECT 1 FROM votes WHERE request_id = ? AND reviewer = ?', id, p.user)) throw new OpError('EXPORT_ALREADY_VOTED');
      const approvals = ctx.store.get<{ n: number }>("SELECT count(*) AS n FROM votes WHERE request_id = ? AND decision = 'approve'", id)!.n;
      const action: ExportAction = decision === 'approve' ? (approvals + 1 >= r.required_approvals ? 'approve' : 'vote_approve') : decision;
      const to = checkTransition(r.state, action);
      const at = new Date().toISOString();
      ctx.store.run('INSERT INTO votes (request_id, reviewer, decision, comment, at) VALUES (?, ?, ?, ?, ?)', id, p.user, decision, comment ?? null, at);
      ctx.audit.append({ kind: EVENTS.EXPORT_VOTE, actor: p.user, tenant: r.tenant, subject: id, data: { decision, approvals: approvals + (decision === 'approve' ? 1 : 0), required: r.required_approvals } });
      this.setState(r, to, action, p.user);
      return to === 'approved';
    });
    if (released) await this.release(id, p.user);
    return this.view(this.row(id));
  }

  private setState(r: RequestRow, to: ExportState, action: ExportAction, actor: string, extra: Record<string, unknown> = {}): void {
    if (to === r.state) return;
    this.ctx.store.run('UPDATE export_requests SET state = ?, updated_at = ? WHERE id = ?', to, new Date().toISOString(), r.id);
    this.ctx.audit.append({ kind: EVENTS.EXPORT_STATE_CHANGED, actor, tenant: r.tenant, subject: r.id, data: { from: r.state, to, action, ...extra } });
  }

  /** approved → released: writes and signs the bundle, then records it. */
  private async release(id: string, actor: string): Promise<void> {
    const { ctx } = this;
    const r = this.row(id);
    checkTransition(r.state, 'release');
    const out = this.jobs.output(r.job_id, r.output);
    const job = ctx.store.get<{ script_hash: string; build_id: string | null }>('SELECT script_hash, build_id FROM jobs WHERE id = ?', r.job_id)!;
    const auth = ctx.authorizations.get(r.tenant);
    const approvers = ctx.store.all<{ reviewer: string }>("SELECT reviewer FROM votes WHERE request_id = ? AND decision = 'approve' ORDER BY at", id).map((v) => v.reviewer);
    const bundleId = `bnd_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
    const dir = join(ctx.paths.exports, bundleId);
    const { manifestSha256 } = await writeBundle(
      dir,
      {
        bundleId, requestId: id, tenant: r.tenant, scenario: r.scenario, jobId: r.job_id, output: r.output, requester: r.requester, approvers,
        scriptHash: job.script_hash, outputHash: out.hash, policyHash: auth.build?.policyHash ?? null,
        datasetVersions: auth.build?.datasets ?? [], verdict: r.verdict, validDays: BUNDLE_VALID_DAYS,
      },
      { columns: out.columns, rows: out.rows },
      ctx.domainKey,
    );
    ctx.store.tx(() => {
      const cur = this.row(id);
      const to = checkTransition(cur.state, 'release');
      ctx.store.run('UPDATE export_requests SET bundle_path = ? WHERE id = ?', dir, id);
      ctx.audit.append({ kind: EVENTS.BUNDLE_CREATED, actor, tenant: r.tenant, subject: id, data: { bundleId, manifestSha256, scenario: r.scenario, approvers } });
      this.setState(cur, to, 'release', actor);
    });
  }

  /** The bundle's manifest and files, for download; every download is audited. */
  download(p: Principal, id: string): { manifest: Manifest; jws: string; files: { name: string; content: string }[] } {
    const r = this.row(id);
    if (!canSeeTenant(p, r.tenant)) throw new OpError('EXPORT_NOT_FOUND', 'no such export request');
    checkRole(p, 'operator', 'admin');
    if (r.state !== 'released' || !r.bundle_path || !existsSync(r.bundle_path)) throw new OpError('EXPORT_TRANSITION', `the request is ${r.state}; only released bundles can be downloaded`);
    const manifest = JSON.parse(readFileSync(join(r.bundle_path, 'manifest.json'), 'utf8')) as Manifest;
    const files = readdirSync(r.bundle_path)
      .filter((n) => n !== 'manifest.json' && n !== 'manifest.jws')
      .map((name) => ({ name, content: readFileSync(join(r.bundle_path!, name), 'utf8') }));
    this.ctx.audit.append({ kind: EVENTS.BUNDLE_DOWNLOADED, actor: p.user, tenant: r.tenant, subject: id, data: { bundleId: manifest.bundleId } });
    return { manifest, jws: readFileSync(join(r.bundle_path, 'manifest.jws'), 'utf8').trim(), files };
  }

  verifyBundleDir(dir: string): Promise<BundleVerification> {
    return verifyBundle(dir, { keys: [this.ctx.domainKey.publicJwk] });
  }
}
