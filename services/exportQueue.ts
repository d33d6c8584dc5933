// Export requests: the automatic check, the approval queue (N-of-M reviewers, no self-approval)
// and release as a signed bundle. Each state change commits with its audit event; the
// transitions come from exports/states.ts.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { OpError } from '../errors/index.ts';
import {
  applyFix,
  cellReport,
  ledgerConflicts,
  operatorFix,
  operatorRules,
  checkExportRequester,
  checkExportRole,
  checkTransition,
  columnReport,
  ledgerCells,
  parseFix,
  replayFix,
  runChecks,
  readBundleFile,
  verifyBundle,
  exportActions,
  withCheckContext,
  withRows,
  writeBundle,
  type CellDetail,
  type ColumnDetail,
  type LedgerCell,
  type PriorCell,
  type ExportAction,
  type ExportState,
  type FixRecord,
  type FixSpec,
  type BundleFile,
  type RuleResult,
  type Verdict,
  type BundleVerification,
} from '../exports/index.ts';
import { findDataset } from '../datasets/index.ts';
import { resolveLimits } from '../sandbox/index.ts';
import type { Authorization } from '../domain/index.ts';
import { EVENTS } from '../lineage/index.ts';
import type { DomainContext } from './context.ts';
import { checkReason } from './reasons.ts';
import { canSeeTenant, checkRole, checkTenantScope, type Principal } from './principal.ts';
import { outputHash, type Jobs } from './jobs.ts';
import { checkVoter, voteAction } from './votes.ts';
import { ExportRequests, type RequestRow, type VoteRow as Vote } from './repositories/exportRequests.ts';

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
  /** Votes; a reviewer who has not voted yet sees none of the others' (votesHidden counts them). */
  readonly votes: readonly { reviewer: string; decision: string; comment: string | null; at: string }[];
  readonly votesHidden: number;
  /** What the one-step fix changed before the check (suppressed cells, rounding), if asked for. */
  readonly fix: FixRecord | null;
  /** The operator's written argument for an exception, shown to reviewers beside the per-cell report. */
  readonly argument: string | null;
  /** What the requester says the export is for (within the scenario), shown to the reviewers. */
  readonly purpose: string | null;
  /** Per column its provenance; per published cell its units, top shares and flags. */
  readonly details: { readonly columns: readonly ColumnDetail[]; readonly cells: readonly CellDetail[] } | null;
  readonly outputHash: string | null;
  readonly bundle: { readonly id: string; readonly path: string } | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** What the caller may do next, from the state table and who may act (exports/states.ts). */
  readonly actions: readonly ExportAction[];
}

/** A request as a feed needs it: who filed it, where it stands, what the caller may do. */
export interface ExportSummary {
  readonly id: string;
  readonly tenant: string;
  readonly output: string;
  readonly scenario: string;
  readonly requester: string;
  readonly state: ExportState;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly actions: readonly ExportAction[];
}

type StoredOutputRows = ReturnType<Jobs['output']>;

interface Evaluation {
  readonly rules: readonly RuleResult[];
  readonly verdict: Verdict;
  readonly fix: FixRecord | null;
  readonly outputHash: string;
  readonly required: number;
  /** Measured cells for the disclosure ledger. */
  readonly ledger: readonly LedgerCell[];
  /** Per column its provenance, per published cell its units and flags. */
  readonly details: { readonly columns: readonly ColumnDetail[]; readonly cells: readonly CellDetail[] };
}

export interface RequestInput {
  readonly jobId: string;
  readonly output: string;
  readonly scenario?: string;
  /** Keep the request as a draft: the operator reads the report, then submits. */
  readonly draft?: boolean;
  readonly fix?: FixSpec | { suppress?: boolean; roundTo?: number };
  /** A written argument for an exception to a blocking rule (ACRO's exception request). */
  readonly argument?: string;
  /** What the export is for, in the requester's words (the reviewers read it beside the scenario). */
  readonly purpose?: string;
}

export const MAX_PURPOSE_LENGTH = 2000;

function parsePurpose(input: unknown): string | null {
  if (input === undefined || input === null) return null;
  if (typeof input !== 'string' || input.length > MAX_PURPOSE_LENGTH)
    throw new OpError('BAD_REQUEST', `purpose must be a text of at most ${MAX_PURPOSE_LENGTH} characters`);
  return input.trim() || null;
}

/** Blocks no argument can lift: identifiers and core data never leave. */
const ABSOLUTE_RULES: ReadonlySet<string> = new Set(['direct_identifiers', 'reversibility', 'grade']);
export const MAX_ARGUMENT_LENGTH = 4000;

function parseArgument(input: unknown): string | undefined {
  if (input === undefined || input === null) return undefined;
  if (typeof input !== 'string' || input.trim().length < 20 || input.length > MAX_ARGUMENT_LENGTH)
    throw new OpError('BAD_REQUEST', `argument must be a text of 20 to ${MAX_ARGUMENT_LENGTH} characters`);
  return input.trim();
}

/** Whether a blocked output may go to reviewers on the operator's argument: every block is one a reviewer may weigh. */
export function canArgue(rules: readonly RuleResult[], argument: string | null | undefined): boolean {
  const blocks = rules.filter((r) => r.verdict === 'block');
  return !!argument && blocks.length > 0 && blocks.every((r) => !ABSOLUTE_RULES.has(r.rule));
}

export function checkSubmittable(rules: readonly RuleResult[], argument: string | null | undefined): void {
  const blocks = rules.filter((r) => r.verdict === 'block');
  if (blocks.length === 0 || canArgue(rules, argument)) return;
  const absolute = blocks.filter((r) => ABSOLUTE_RULES.has(r.rule)).map((r) => r.rule);
  throw new OpError(
    'EXPORT_BLOCKED',
    `the automatic check blocks this output (${blocks.map((x) => x.rule).join(', ')}); ${absolute.length > 0 ? `${absolute.join(', ')} cannot be argued: revise it` : 'revise it, or attach a written argument for an exception'}`,
  );
}

const BUNDLE_VALID_DAYS = 365;

/** A request's measured cells for the ledger. A request checked by an earlier release kept count cells by label: they key nothing now. */
function ledgerOf(r: RequestRow): LedgerCell[] {
  const parsed: unknown = r.ledger ? JSON.parse(r.ledger) : [];
  return Array.isArray(parsed) ? (parsed as LedgerCell[]) : [];
}

export class ExportQueue {
  /** Called after a check that blocks (the domain's own risk watch). */
  afterBlock?: (tenant: string) => void;

  private readonly requests: ExportRequests;

  constructor(
    private readonly ctx: DomainContext,
    private readonly jobs: Jobs,
  ) {
    this.requests = new ExportRequests(ctx.store);
  }

  /** The disclosure ledger's released cells of one measure, every authorization. */
  private priorCells(measure: string): PriorCell[] {
    return this.ctx.store
      .all<{ request_id: string; key: string; tables: string; value: number; fingerprint: string | null; tenant: string | null }>(
        'SELECT request_id, key, tables, value, fingerprint, tenant FROM release_cells WHERE measure = ?',
        measure,
      )
      .map((r) => ({
        requestId: r.request_id,
        measure,
        group: r.key,
        tables: r.tables,
        units: r.value,
        fingerprint: r.fingerprint ?? '',
        tenant: r.tenant ?? '',
      }));
  }

  /**
   * Releases made since this request was checked may overlap it (two requests in review at
   * once): the ledger is compared again before the last approval releases the bundle.
   */
  private checkStillSafe(r: RequestRow): void {
    const mine = ledgerOf(r);
    if (mine.length === 0) return;
    const min = this.ctx.authorizations.effectiveThresholds(r.tenant).minCellCount;
    const found = ledgerConflicts(mine, (m) => this.priorCells(m), min, r.tenant);
    if (found.blocks > 0) {
      throw new OpError(
        'EXPORT_BLOCKED',
        `a release made since this request was checked differs from it by fewer than ${min} units (${found.sources.slice(0, 3).join(', ')}): return or reject it; the operator must revise it`,
      );
    }
  }

  /** Every check an operator asks for tells which rules object: they are counted per authorization and day (the reply channel). */
  private checkCheckQuota(tenant: string, limits: Authorization['limits']): void {
    const perDay = resolveLimits(limits).exportChecksPerDay;
    const n = this.requests.checksSince(tenant, new Date(Date.now() - 86_400_000).toISOString());
    if (n >= perDay)
      throw new OpError('EXPORT_CHECK_QUOTA', `the authorization has asked for ${perDay} export checks in the last 24 hours (its limit); try later`);
    this.requests.recordCheck(tenant, new Date().toISOString());
  }

  /** Runs the automatic check on an output (after the fix, if any), with the authorization's thresholds and the domain-wide ledger. */
  private async evaluate(tenant: string, jobId: string, out: StoredOutputRows, fixSpec: FixSpec | undefined): Promise<Evaluation> {
    const { ctx } = this;
    const priorCells = (measure: string) => this.priorCells(measure);
    return withCheckContext(
      {
        rawPath: ctx.paths.rawDb,
        tenantProdPath: ctx.paths.tenantDb(tenant, 'prod'),
        tenant,
        queries: this.jobs.allowedQueries(jobId),
        thresholds: ctx.authorizations.effectiveThresholds(tenant),
        output: { name: out.name, columns: out.columns, rows: out.rows },
        priorCells,
        dpReleases: this.jobs.budgets.releasesOf(jobId),
      },
      async (base) => {
        let check = base;
        let fix: FixRecord | null = null;
        if (fixSpec) {
          const fixed = applyFix(base, fixSpec);
          fix = fixed.record;
          check = withRows(base, fixed.rows, fixed.record.suppressed.length > 0 || (fixed.record.rounded?.cells ?? 0) > 0);
        }
        const report = await runChecks(check);
        const tables = new Set(check.provenance.columns.flatMap((c) => c.inputs.map((i) => i.table)));
        const important = [...tables].some((t) => findDataset(t)?.grade === 'important');
        return {
          rules: report.rules,
          verdict: report.verdict,
          fix,
          outputHash: fix ? outputHash(out.columns, check.output.rows) : out.hash,
          // N-of-M by risk: two independent approvals when a rule asks for review or the data is graded important.
          // A release of DP aggregates only is bounded by its noise: one reviewer, whatever the grade.
          required: report.dp ? 1 : report.verdict === 'review' || important ? 2 : 1,
          ledger: ledgerCells(check),
          details: { columns: columnReport(check), cells: cellReport(check, report.rules) },
        };
      },
    );
  }

  async request(p: Principal, req: RequestInput): Promise<ExportRequestView> {
    const { ctx } = this;
    checkRole(p, 'operator');
    if (!req || typeof req.jobId !== 'string' || typeof req.output !== 'string') throw new OpError('BAD_REQUEST', 'jobId and output are required');
    const fix = parseFix(req.fix);
    const argument = parseArgument(req.argument);
    const purpose = parsePurpose(req.purpose);
    const job = this.checkExportable(p, req.jobId);
    const auth = ctx.authorizations.checkOperable(job.tenant);
    const scenario = req.scenario ?? auth.scenarios[0]!;
    if (typeof scenario !== 'string' || !auth.scenarios.includes(scenario))
      throw new OpError('EXPORT_SCENARIO_NOT_GRANTED', `scenario "${String(scenario).slice(0, 64)}" is not one of this authorization's scenarios`);
    this.checkCheckQuota(job.tenant, auth.limits);
    const out = this.jobs.output(job.id, req.output);
    const ev = await this.evaluate(job.tenant, job.id, out, fix);
    const id = `exp_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
    // A block the operator argues goes to reviewers (two of them) instead of back to the operator.
    const argued = canArgue(ev.rules, argument);
    const state: ExportState = req.draft ? 'draft' : ev.verdict === 'block' && !argued ? 'blocked' : 'submitted';
    const required = argued ? 2 : ev.required;
    const at = new Date().toISOString();
    ctx.store.tx(() => {
      this.requests.insert(
        {
          id,
          tenant: job.tenant,
          job_id: job.id,
          output: out.name,
          scenario,
          requester: p.user,
          state,
          verdict: ev.verdict,
          report: JSON.stringify(ev.rules),
          required_approvals: required,
          fix: ev.fix ? JSON.stringify(ev.fix) : null,
          output_hash: ev.outputHash,
          ledger: JSON.stringify(ev.ledger),
          details: JSON.stringify(ev.details),
          argument: argument ?? null,
          purpose,
        },
        at,
      );
      ctx.audit.append({
        kind: EVENTS.EXPORT_REQUESTED,
        actor: p.user,
        tenant: job.tenant,
        subject: id,
        data: {
          jobId: job.id,
          output: out.name,
          outputHash: ev.outputHash,
          scenario,
          purpose,
          verdict: ev.verdict,
          state,
          rules: ev.rules.map((r) => ({ rule: r.rule, verdict: r.verdict })),
          requiredApprovals: required,
          argued,
          ...(ev.fix ? { fix: fixSummary(ev.fix) } : {}),
        },
      });
    });
    if (ev.verdict === 'block') this.afterBlock?.(job.tenant);
    return this.view(this.row(id), p);
  }

  private checkExportable(p: Principal, jobId: string) {
    const job = this.jobs.job(p, jobId);
    checkTenantScope(p, job.tenant);
    if (job.env !== 'prod') throw new OpError('EXPORT_FROM_DEV', 'only outputs of prod jobs can be exported; run the script with --env prod');
    if (job.state !== 'completed') throw new OpError('OUTPUT_NOT_FOUND', `job ${job.id} did not complete`);
    return job;
  }

  /** The requester changes a draft, blocked or returned request: another output or a fix; the check runs again. Votes are reset when the output changes. */
  async revise(p: Principal, id: string, changes: { jobId?: string; output?: string; fix?: unknown; argument?: unknown } = {}): Promise<ExportRequestView> {
    const { ctx } = this;
    checkExportRole('revise', p.role);
    const r0 = this.ownRequest(p, id, 'revise');
    checkTransition(r0.state, 'revise');
    const jobId = changes.jobId ?? r0.job_id;
    const output = changes.output ?? r0.output;
    if (typeof jobId !== 'string' || typeof output !== 'string') throw new OpError('BAD_REQUEST', 'jobId and output must be strings');
    const job = this.checkExportable(p, jobId);
    if (job.tenant !== r0.tenant) throw new OpError('FORBIDDEN_TENANT', 'this authorization is outside your scope');
    const auth = ctx.authorizations.checkOperable(r0.tenant);
    const fix = changes.fix === undefined ? (r0.fix ? (JSON.parse(r0.fix) as FixRecord).spec : undefined) : parseFix(changes.fix);
    const argument = changes.argument === undefined ? r0.argument : (parseArgument(changes.argument) ?? null);
    this.checkCheckQuota(r0.tenant, auth.limits);
    const out = this.jobs.output(job.id, output);
    const ev = await this.evaluate(r0.tenant, job.id, out, fix);
    ctx.store.tx(() => {
      const r = this.row(id);
      const to = checkTransition(r.state, 'revise');
      const changed = ev.outputHash !== r.output_hash;
      const reset = changed ? this.requests.clearVotes(id) : 0;
      this.requests.updateChecked(id, {
        job_id: job.id,
        output: out.name,
        verdict: ev.verdict,
        report: JSON.stringify(ev.rules),
        required_approvals: canArgue(ev.rules, argument) ? 2 : ev.required,
        fix: ev.fix ? JSON.stringify(ev.fix) : null,
        output_hash: ev.outputHash,
        ledger: JSON.stringify(ev.ledger),
        details: JSON.stringify(ev.details),
        argument: argument ?? null,
      });
      ctx.audit.append({
        kind: EVENTS.EXPORT_REVISED,
        actor: p.user,
        tenant: r.tenant,
        subject: id,
        data: {
          jobId: job.id,
          output: out.name,
          outputHash: ev.outputHash,
          outputChanged: changed,
          votesReset: reset,
          verdict: ev.verdict,
          rules: ev.rules.map((x) => ({ rule: x.rule, verdict: x.verdict })),
          ...(ev.fix ? { fix: fixSummary(ev.fix) } : {}),
        },
      });
      this.setState(r, to, 'revise', p.user);
    });
    if (ev.verdict === 'block') this.afterBlock?.(r0.tenant);
    return this.view(this.row(id), p);
  }

  /** draft → submitted. A draft the check blocks cannot be submitted: revise it (e.g. with the suppression fix). */
  submit(p: Principal, id: string): ExportRequestView {
    checkExportRole('submit', p.role);
    this.ownRequest(p, id, 'submit');
    this.move(id, 'submit', p.user, {
      before: (r) => {
        checkSubmittable(JSON.parse(r.report) as RuleResult[], r.argument);
      },
    });
    return this.view(this.row(id), p);
  }

  /** returned → submitted, optionally with another output or fix (then: revise, submit). */
  async resubmit(p: Principal, id: string, changes: { jobId?: string; output?: string; fix?: unknown; argument?: unknown } = {}): Promise<ExportRequestView> {
    checkExportRole('resubmit', p.role);
    checkTransition(this.ownRequest(p, id, 'resubmit').state, 'resubmit');
    if (changes.jobId !== undefined || changes.output !== undefined || changes.fix !== undefined || changes.argument !== undefined) {
      const revised = await this.revise(p, id, changes);
      return revised.verdict === 'block' ? revised : this.submit(p, id);
    }
    // The return was a judgement of the earlier submission: its reviewer may vote again.
    this.move(id, 'resubmit', p.user, { before: () => this.requests.clearReturns(id) });
    return this.view(this.row(id), p);
  }

  /** The requester takes back a request that is not yet decided. */
  withdraw(p: Principal, id: string): ExportRequestView {
    checkExportRole('withdraw', p.role);
    this.ownRequest(p, id, 'withdraw');
    this.move(id, 'withdraw', p.user);
    return this.view(this.row(id), p);
  }

  /** released → revoked by the authority: the bundle is no longer served (its files stay as evidence). */
  revoke(p: Principal, id: string, reason: unknown): ExportRequestView {
    checkExportRole('revoke', p.role);
    const why = checkReason(reason, 'revoke a bundle');
    this.move(id, 'revoke', p.user, { extra: { reason: why } });
    return this.view(this.row(id), p);
  }

  /** One table transition in one transaction: read the row, check the table, run `before` (a refusal or a side effect), save with its audit event. */
  private move(id: string, action: ExportAction, actor: string, opts: { before?: (r: RequestRow) => void; extra?: Record<string, unknown> } = {}): void {
    this.ctx.store.tx(() => {
      const r = this.row(id);
      const to = checkTransition(r.state, action);
      opts.before?.(r);
      this.setState(r, to, action, actor, opts.extra);
    });
  }

  /** A request the caller may take a requester's step on: in scope (else not found), then theirs. */
  private ownRequest(p: Principal, id: string, action: ExportAction): RequestRow {
    const r = this.row(id);
    if (!canSeeTenant(p, r.tenant)) throw new OpError('EXPORT_NOT_FOUND', 'no such export request');
    checkExportRequester(action, { role: p.role, isRequester: r.requester === p.user, hasVoted: false });
    return r;
  }

  private row(id: string): RequestRow {
    const r = this.requests.find(id);
    if (!r) throw new OpError('EXPORT_NOT_FOUND', 'no such export request');
    return r;
  }

  private view(r: RequestRow, p: Principal): ExportRequestView {
    return this.views([r], p)[0]!;
  }

  /** Views of several requests, their votes read in one query. */
  private views(rows: readonly RequestRow[], p: Principal): ExportRequestView[] {
    const votes = this.requests.votesOf(rows.map((r) => r.id));
    return rows.map((r) => this.viewWith(r, p, votes.get(r.id) ?? []));
  }

  private viewWith(r: RequestRow, p: Principal, all: readonly Vote[]): ExportRequestView {
    // Independent votes: a reviewer sees the others' only after casting one's own.
    const blind = p.role === 'reviewer' && !all.some((v) => v.reviewer === p.user) && !['released', 'rejected', 'revoked', 'withdrawn'].includes(r.state);
    const votes = blind ? [] : all;
    // Operators work on prod outputs: the report's reasons and cells speak of the data (R23).
    const operator = p.role === 'operator';
    const rules = JSON.parse(r.report) as RuleResult[];
    const fix = r.fix ? (JSON.parse(r.fix) as FixRecord) : null;
    return {
      id: r.id,
      tenant: r.tenant,
      jobId: r.job_id,
      output: r.output,
      scenario: r.scenario,
      requester: r.requester,
      state: r.state,
      verdict: r.verdict,
      rules: operator ? operatorRules(rules) : rules,
      requiredApprovals: r.required_approvals,
      votes,
      votesHidden: all.length - votes.length,
      fix: operator ? operatorFix(fix) : fix,
      outputHash: r.output_hash,
      argument: r.argument ?? null,
      purpose: r.purpose ?? null,
      details: r.details && !operator ? (JSON.parse(r.details) as ExportRequestView['details']) : null,
      bundle: r.bundle_path ? { id: r.bundle_path.split('/').pop()!, path: r.bundle_path } : null,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
      actions: exportActions(r.state, { role: p.role, isRequester: r.requester === p.user, hasVoted: all.some((v) => v.reviewer === p.user) }),
    };
  }

  /** One request. The authority's views of it are audited (who looked at what, when). */
  get(p: Principal, id: string): ExportRequestView {
    const r = this.row(id);
    if (!canSeeTenant(p, r.tenant)) throw new OpError('EXPORT_NOT_FOUND', 'no such export request');
    if (p.role !== 'operator')
      this.ctx.audit.append({ kind: EVENTS.EXPORT_VIEWED, actor: p.user, tenant: r.tenant, subject: id, data: { view: 'request', state: r.state } });
    return this.view(r, p);
  }

  list(p: Principal, filter: { state?: string; tenant?: string } = {}): ExportRequestView[] {
    return this.views(this.requests.list(this.scopeOf(p, filter)), p);
  }

  /**
   * The caller's requests with what they may do, and nothing of their reports: what a feed asks
   * for on every navigation (the full views parse every report and cell detail).
   */
  summaries(p: Principal): ExportSummary[] {
    const rows = this.requests.summaries(this.scopeOf(p));
    const voted = this.requests.votedBy(p.user);
    return rows.map((r) => ({
      id: r.id,
      tenant: r.tenant,
      output: r.output,
      scenario: r.scenario,
      requester: r.requester,
      state: r.state,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
      actions: exportActions(r.state, { role: p.role, isRequester: r.requester === p.user, hasVoted: voted.has(r.id) }),
    }));
  }

  /** An operator lists only their authorization's requests; the authority filters as it asks. */
  private scopeOf(p: Principal, filter: { state?: string; tenant?: string } = {}) {
    return { ...(p.role === 'operator' ? { tenant: p.tenant } : {}), filterTenant: filter.tenant, state: filter.state };
  }

  /** The output rows a reviewer judges (reviewers see the output itself). Viewing is audited. */
  outputOf(p: Principal, id: string): { columns: unknown; rows: unknown[][] } {
    const r = this.row(id);
    if (!canSeeTenant(p, r.tenant)) throw new OpError('EXPORT_NOT_FOUND', 'no such export request');
    // Not operators: in prod they never see values; the output reaches them only as a released bundle.
    checkRole(p, 'reviewer', 'security', 'admin');
    const out = this.jobs.output(r.job_id, r.output);
    this.ctx.audit.append({ kind: EVENTS.EXPORT_VIEWED, actor: p.user, tenant: r.tenant, subject: id, data: { view: 'output', output: r.output } });
    return { columns: out.columns, rows: this.releasedRows(r, out) };
  }

  /** The rows that would leave: the output with the recorded fix applied. */
  private releasedRows(r: RequestRow, out: { columns: readonly { name: string }[]; rows: readonly (readonly unknown[])[] }): unknown[][] {
    return r.fix ? replayFix(out.columns, out.rows, JSON.parse(r.fix) as FixRecord) : out.rows.map((x) => [...x]);
  }

  /** approve | return | reject by a reviewer; release happens when enough approvals are in. */
  async decide(p: Principal, id: string, decision: 'approve' | 'return' | 'reject', comment?: string): Promise<ExportRequestView> {
    const { ctx } = this;
    checkVoter(p, this.row(id).requester, 'EXPORT_SELF_APPROVAL', decision, comment);
    const released = ctx.store.tx(() => {
      const r = this.row(id);
      if (this.requests.hasVoted(id, p.user)) throw new OpError('EXPORT_ALREADY_VOTED');
      const approvals = this.requests.approvals(id);
      const action: ExportAction = voteAction(decision, approvals, r.required_approvals);
      const to = checkTransition(r.state, action);
      if (action === 'approve') this.checkStillSafe(r);
      const at = new Date().toISOString();
      this.requests.addVote(id, p.user, decision, comment ?? null, at);
      ctx.audit.append({
        kind: EVENTS.EXPORT_VOTE,
        actor: p.user,
        tenant: r.tenant,
        subject: id,
        data: { decision, approvals: approvals + (decision === 'approve' ? 1 : 0), required: r.required_approvals },
      });
      this.setState(r, to, action, p.user);
      return to === 'approved';
    });
    if (released) await this.release(id, p.user);
    return this.view(this.row(id), p);
  }

  private setState(r: RequestRow, to: ExportState, action: ExportAction, actor: string, extra: Record<string, unknown> = {}): void {
    if (to === r.state) return;
    this.requests.setState(r.id, to, new Date().toISOString());
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
    const approvers = this.requests.approvers(id);
    const bundleId = `bnd_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
    const dir = join(ctx.paths.exports, bundleId);
    const { manifestSha256 } = await writeBundle(
      dir,
      {
        bundleId,
        requestId: id,
        tenant: r.tenant,
        scenario: r.scenario,
        jobId: r.job_id,
        output: r.output,
        requester: r.requester,
        approvers,
        scriptHash: job.script_hash,
        outputHash: r.output_hash ?? out.hash,
        policyHash: auth.build?.policyHash ?? null,
        datasetVersions: auth.build?.datasets ?? [],
        verdict: r.verdict,
        validDays: BUNDLE_VALID_DAYS,
        ...(r.fix ? { fix: JSON.parse(r.fix) as FixRecord } : {}),
      },
      { columns: out.columns, rows: this.releasedRows(r, out) },
      ctx.domainKey,
    );
    ctx.store.tx(() => {
      const cur = this.row(id);
      const to = checkTransition(cur.state, 'release');
      this.requests.setBundlePath(id, dir);
      // The disclosure ledger: every released cell, for later requests of any authorization to be compared with.
      const ledger = ledgerOf(cur);
      const at = new Date().toISOString();
      for (const c of ledger)
        ctx.store.run(
          'INSERT INTO release_cells (request_id, tables, measure, key, value, released_at, fingerprint, tenant) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
          id,
          c.tables,
          c.measure,
          c.group,
          c.units,
          at,
          c.fingerprint,
          c.tenant,
        );
      ctx.audit.append({
        kind: EVENTS.BUNDLE_CREATED,
        actor,
        tenant: r.tenant,
        subject: id,
        data: { bundleId, manifestSha256, scenario: r.scenario, approvers },
      });
      this.setState(cur, to, 'release', actor);
    });
  }

  /** The bundle's manifest and files, for download; every download is audited. */
  /** The released bundle as one file (exports/bundle.ts BundleFile), which `opdomain export verify` reads as it reads the folder. */
  download(p: Principal, id: string): BundleFile {
    const r = this.row(id);
    if (!canSeeTenant(p, r.tenant)) throw new OpError('EXPORT_NOT_FOUND', 'no such export request');
    checkRole(p, 'operator', 'admin');
    if (r.state === 'revoked') throw new OpError('EXPORT_REVOKED', 'this bundle was revoked and is no longer served');
    if (r.state !== 'released' || !r.bundle_path || !existsSync(r.bundle_path))
      throw new OpError('EXPORT_TRANSITION', `the request is ${r.state}; only released bundles can be downloaded`);
    const bundle = readBundleFile(r.bundle_path);
    this.ctx.audit.append({ kind: EVENTS.BUNDLE_DOWNLOADED, actor: p.user, tenant: r.tenant, subject: id, data: { bundleId: bundle.manifest.bundleId } });
    return bundle;
  }

  verifyBundleDir(dir: string): Promise<BundleVerification> {
    return verifyBundle(dir, { keys: [this.ctx.domainKey.publicJwk] });
  }
}

function fixSummary(f: FixRecord): Record<string, unknown> {
  return { suppressedCells: f.suppressed.length, suppressed: f.suppressed.slice(0, 100), rounded: f.rounded };
}
