// Governance requests (R17): an operator reports a data-quality problem on a dataset or field,
// with a job output held in the domain as its example (never the raw value); reviewers or
// administrators assign it to the providing department with a deadline; an administrator closes
// it with what was fixed and the dataset version that fixed it. Overdue requests show on the
// supervision view. Who may act is the table's (authority/governance.ts).
import { randomUUID } from 'node:crypto';
import { GOVERNANCE, isOverdue, type GovernanceAction, type GovernanceState } from '../authority/index.ts';
import { findDataset } from '../datasets/index.ts';
import { OpError } from '../errors/index.ts';
import { EVENTS } from '../lineage/index.ts';
import type { DomainContext } from './context.ts';
import type { Jobs } from './jobs.ts';
import { canSeeTenant, checkRole, type Principal } from './principal.ts';

export interface GovernanceView {
  readonly id: string;
  readonly tenant: string;
  readonly reporter: string;
  readonly dataset: string;
  readonly field: string | null;
  readonly problem: string;
  /** A job output of the reporter's authorization that shows the problem (it stays in the domain). */
  readonly evidence: { readonly jobId: string; readonly output: string } | null;
  readonly state: GovernanceState;
  readonly department: string | null;
  readonly deadline: string | null;
  readonly overdue: boolean;
  readonly resolution: string | null;
  readonly fixedVersion: number | null;
  readonly actions: readonly GovernanceAction[];
  readonly createdAt: string;
  readonly updatedAt: string;
}

interface GovernanceRow {
  id: string;
  tenant: string;
  reporter: string;
  dataset: string;
  field: string | null;
  problem: string;
  evidence: string | null;
  state: GovernanceState;
  department: string | null;
  deadline: string | null;
  assigned_by: string | null;
  resolution: string | null;
  fixed_version: number | null;
  decided_by: string | null;
  created_at: string;
  updated_at: string;
}

const text = (v: unknown, what: string, min = 10, max = 4000): string => {
  if (typeof v !== 'string' || v.trim().length < min || v.length > max)
    throw new OpError('BAD_REQUEST', `${what} must be a text of ${min} to ${max} characters`);
  return v.trim();
};

export class GovernanceService {
  constructor(
    private readonly ctx: DomainContext,
    private readonly jobs: Jobs,
  ) {}

  report(p: Principal, input: { dataset?: unknown; field?: unknown; problem?: unknown; evidence?: unknown }): GovernanceView {
    const { ctx } = this;
    checkRole(p, 'operator');
    const tenant = p.tenant!;
    ctx.authorizations.checkOperable(tenant);
    const ds = typeof input?.dataset === 'string' ? findDataset(input.dataset) : undefined;
    if (!ds) throw new OpError('DATASET_NOT_FOUND', 'name a dataset of the catalog');
    if (!ctx.authorizations.get(tenant).grants.some((g) => g.dataset === ds.id))
      throw new OpError('FORBIDDEN_TENANT', `dataset ${ds.id} is not granted to this authorization`);
    const field =
      input.field === undefined || input.field === null
        ? null
        : typeof input.field === 'string' && ds.fields.some((f) => f.name === input.field)
          ? input.field
          : null;
    if (input.field !== undefined && input.field !== null && field === null)
      throw new OpError('BAD_REQUEST', `dataset ${ds.id} has no field "${String(input.field).slice(0, 60)}"`);
    const evidence = this.evidence(p, input.evidence);
    const id = `gov_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
    const at = new Date().toISOString();
    const problem = text(input.problem, 'problem');
    ctx.store.tx(() => {
      ctx.store.run(
        "INSERT INTO governance_requests (id, tenant, reporter, dataset, field, problem, evidence, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'reported', ?, ?)",
        id,
        tenant,
        p.user,
        ds.id,
        field,
        problem,
        evidence ? JSON.stringify(evidence) : null,
        at,
        at,
      );
      ctx.audit.append({ kind: EVENTS.GOVERNANCE_REPORTED, actor: p.user, tenant, subject: id, data: { dataset: ds.id, field, evidence } });
    });
    return this.get(p, id);
  }

  /** The example is a job output of the reporter's own authorization (its rows never leave). */
  private evidence(p: Principal, input: unknown): { jobId: string; output: string } | null {
    if (input === undefined || input === null) return null;
    const e = input as { jobId?: unknown; output?: unknown };
    if (typeof e.jobId !== 'string' || typeof e.output !== 'string')
      throw new OpError('BAD_REQUEST', 'evidence is {jobId, output}: an output of one of your jobs');
    const job = this.jobs.job(p, e.jobId);
    this.jobs.output(job.id, e.output);
    return { jobId: job.id, output: e.output };
  }

  /** assign (department, deadline) | reject (reason) | resolve (resolution, fixed dataset version) | withdraw. */
  act(
    p: Principal,
    id: string,
    action: GovernanceAction,
    input: { department?: unknown; deadline?: unknown; resolution?: unknown; fixedVersion?: unknown; reason?: unknown } = {},
  ): GovernanceView {
    const { ctx } = this;
    const r0 = this.row(p, id);
    GOVERNANCE.check(r0.state, action, p, r0.reporter);
    const set: Record<string, unknown> = {};
    if (action === 'assign') {
      set.department = text(input.department, 'department', 2, 200);
      const deadline = typeof input.deadline === 'string' ? new Date(input.deadline) : new Date(NaN);
      if (Number.isNaN(deadline.getTime())) throw new OpError('BAD_REQUEST', 'deadline must be a date');
      set.deadline = deadline.toISOString();
      set.assigned_by = p.user;
    }
    if (action === 'resolve') {
      set.resolution = text(input.resolution, 'resolution');
      const v = input.fixedVersion;
      const known = ctx.store.get('SELECT 1 FROM dataset_versions WHERE dataset = ? AND version = ?', r0.dataset, v);
      if (typeof v !== 'number' || !Number.isInteger(v) || !known) throw new OpError('BAD_REQUEST', `fixedVersion must be a loaded version of ${r0.dataset}`);
      set.fixed_version = v;
    }
    if (action === 'reject') set.resolution = text(input.reason, 'reason');
    ctx.store.tx(() => {
      const r = this.row(p, id);
      const to = GOVERNANCE.check(r.state, action, p, r.reporter);
      const cols = Object.keys(set);
      ctx.store.run(
        `UPDATE governance_requests SET state = ?, decided_by = ?, updated_at = ?${cols.map((c) => `, ${c} = ?`).join('')} WHERE id = ?`,
        to,
        p.user,
        new Date().toISOString(),
        ...cols.map((c) => set[c]),
        id,
      );
      ctx.audit.append({ kind: EVENTS.GOVERNANCE_CHANGED, actor: p.user, tenant: r.tenant, subject: id, data: { from: r.state, to, action, ...set } });
    });
    return this.get(p, id);
  }

  get(p: Principal, id: string): GovernanceView {
    return this.view(p, this.row(p, id));
  }

  list(p: Principal, filter: { tenant?: string; state?: string; overdue?: boolean } = {}): GovernanceView[] {
    const t = p.role === 'operator' ? p.tenant : filter.tenant;
    const rows = t
      ? this.ctx.store.all<GovernanceRow>('SELECT * FROM governance_requests WHERE tenant = ? ORDER BY created_at DESC LIMIT 1000', t)
      : this.ctx.store.all<GovernanceRow>('SELECT * FROM governance_requests ORDER BY created_at DESC LIMIT 1000');
    return rows
      .filter((r) => canSeeTenant(p, r.tenant) && (!filter.state || r.state === filter.state))
      .map((r) => this.view(p, r))
      .filter((v) => !filter.overdue || v.overdue);
  }

  /** Per authorization, the assigned requests past their deadline (the supervision view). */
  overdueCounts(): Map<string, number> {
    const out = new Map<string, number>();
    for (const r of this.ctx.store.all<GovernanceRow>("SELECT * FROM governance_requests WHERE state = 'assigned'")) {
      if (isOverdue(r.state, r.deadline)) out.set(r.tenant, (out.get(r.tenant) ?? 0) + 1);
    }
    return out;
  }

  private row(p: Principal, id: string): GovernanceRow {
    const r = this.ctx.store.get<GovernanceRow>('SELECT * FROM governance_requests WHERE id = ?', id);
    if (!r || !canSeeTenant(p, r.tenant)) throw new OpError('GOVERNANCE_NOT_FOUND');
    return r;
  }

  private view(p: Principal, r: GovernanceRow): GovernanceView {
    return {
      id: r.id,
      tenant: r.tenant,
      reporter: r.reporter,
      dataset: r.dataset,
      field: r.field,
      problem: r.problem,
      evidence: r.evidence ? (JSON.parse(r.evidence) as GovernanceView['evidence']) : null,
      state: r.state,
      department: r.department,
      deadline: r.deadline,
      overdue: isOverdue(r.state, r.deadline),
      resolution: r.resolution,
      fixedVersion: r.fixed_version,
      actions: GOVERNANCE.actions(r.state, p, r.reporter),
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    };
  }
}
