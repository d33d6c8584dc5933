// Privacy budgets (R14): one per (dataset, authorization), set only by an administrator's
// audited act, never refreshed otherwise. A DP aggregate in prod reserves its ε (and δ) in one
// store transaction before its query runs — so parallel jobs cannot overspend — and is charged
// when it succeeds or refunded when it fails. In dev (a sample the operator sees row by row
// anyway) the noise is the same and nothing is charged. Amounts are kept in millionths, exactly.
import { randomUUID } from 'node:crypto';
import { OpError } from '../errors/index.ts';
import { EVENTS } from '../lineage/index.ts';
import type { BudgetRequest } from '../sandbox/index.ts';
import type { DomainContext } from './context.ts';
import { checkRole, checkTenantScope, type Principal } from './principal.ts';

const MICRO = 1_000_000;
const toMicro = (x: number) => Math.round(x * MICRO);
const fromMicro = (x: number) => x / MICRO;

interface BudgetRow {
  tenant: string;
  dataset: string;
  epsilon_total: number;
  delta_total: number;
  epsilon_spent: number;
  delta_spent: number;
  per_query: number;
  set_by: string;
  set_at: string;
}

export interface BudgetView {
  readonly tenant: string;
  readonly dataset: string;
  readonly epsilon: number;
  readonly delta: number;
  readonly epsilonSpent: number;
  readonly deltaSpent: number;
  readonly epsilonLeft: number;
  readonly perQueryEpsilon: number;
  readonly setBy: string;
  readonly setAt: string;
}

export interface DpReleaseRecord {
  readonly epsilon: number;
  readonly delta: number;
  readonly rows: readonly (readonly (string | number)[])[];
}

export class DpBudgetService {
  constructor(private readonly ctx: DomainContext) {}

  private view(r: BudgetRow): BudgetView {
    return {
      tenant: r.tenant,
      dataset: r.dataset,
      epsilon: fromMicro(r.epsilon_total),
      delta: r.delta_total / 1e12,
      epsilonSpent: fromMicro(r.epsilon_spent),
      deltaSpent: r.delta_spent / 1e12,
      epsilonLeft: fromMicro(r.epsilon_total - r.epsilon_spent),
      perQueryEpsilon: fromMicro(r.per_query),
      setBy: r.set_by,
      setAt: r.set_at,
    };
  }

  /** Sets a budget's total (an administrator; raising it is the only refresh there is). */
  set(p: Principal, input: { tenant?: unknown; dataset?: unknown; epsilon?: unknown; delta?: unknown; perQuery?: unknown; reason?: unknown }): BudgetView {
    checkRole(p, 'admin');
    const tenant = String(input.tenant ?? '');
    this.ctx.authorizations.get(tenant);
    const dataset = String(input.dataset ?? '');
    if (!this.ctx.authorizations.get(tenant).grants.some((g) => g.dataset === dataset))
      throw new OpError('BAD_REQUEST', `${tenant} is not granted "${dataset.slice(0, 64)}"`);
    const eps = Number(input.epsilon);
    const delta = input.delta === undefined ? 1e-5 : Number(input.delta);
    const per = input.perQuery === undefined ? eps : Number(input.perQuery);
    if (!(eps > 0 && eps <= 100) || !(delta >= 0 && delta < 0.01) || !(per > 0 && per <= eps))
      throw new OpError('BAD_REQUEST', 'epsilon in (0, 100], delta in [0, 0.01), perQuery in (0, epsilon]');
    if (typeof input.reason !== 'string' || input.reason.trim().length < 5) throw new OpError('BAD_REQUEST', 'a reason is recorded with every budget change');
    const now = new Date().toISOString();
    return this.ctx.store.tx(() => {
      const before = this.ctx.store.get<BudgetRow>('SELECT * FROM dp_budgets WHERE tenant = ? AND dataset = ?', tenant, dataset);
      this.ctx.store.run(
        `INSERT INTO dp_budgets (tenant, dataset, epsilon_total, delta_total, epsilon_spent, delta_spent, per_query, set_by, set_at) VALUES (?, ?, ?, ?, 0, 0, ?, ?, ?)
         ON CONFLICT (tenant, dataset) DO UPDATE SET epsilon_total = excluded.epsilon_total, delta_total = excluded.delta_total, per_query = excluded.per_query, set_by = excluded.set_by, set_at = excluded.set_at`,
        tenant,
        dataset,
        toMicro(eps),
        Math.round(delta * 1e12),
        toMicro(per),
        p.user,
        now,
      );
      this.ctx.audit.append({
        kind: EVENTS.DP_BUDGET_SET,
        actor: p.user,
        tenant,
        subject: dataset,
        data: { dataset, epsilon: eps, delta, perQuery: per, before: before ? this.view(before) : null, reason: input.reason },
      });
      return this.view(this.ctx.store.get<BudgetRow>('SELECT * FROM dp_budgets WHERE tenant = ? AND dataset = ?', tenant, dataset)!);
    });
  }

  list(p: Principal, tenant?: string): BudgetView[] {
    const t = p.role === 'operator' ? p.tenant! : tenant;
    if (t) checkTenantScope(p, t);
    return this.ctx.store
      .all<BudgetRow>('SELECT * FROM dp_budgets WHERE (? IS NULL OR tenant = ?) ORDER BY tenant, dataset', t ?? null, t ?? null)
      .map((r) => this.view(r));
  }

  /** The worker's budget calls for one job. */
  handle(job: { tenant: string; jobId: string; env: 'dev' | 'prod'; user: string }, req: BudgetRequest): string | null {
    if (req.op === 'reserve') return job.env === 'dev' ? 'dev' : this.reserve(job, req);
    if (req.reservation === 'dev') return null;
    this.settle(job, req.reservation, req.ok, req.release);
    return null;
  }

  private reserve(job: { tenant: string; jobId: string; user: string }, req: Extract<BudgetRequest, { op: 'reserve' }>): string {
    const eps = toMicro(req.epsilon);
    const delta = Math.round(req.delta * 1e12);
    return this.ctx.store.tx(() => {
      const b = this.ctx.store.get<BudgetRow>('SELECT * FROM dp_budgets WHERE tenant = ? AND dataset = ?', job.tenant, req.dataset);
      const refuse = (code: 'DP_BUDGET_EXHAUSTED' | 'DP_QUERY_CAP', message: string): never => {
        throw new OpError(code, message);
      };
      if (!b) refuse('DP_BUDGET_EXHAUSTED', `no privacy budget is set for ${req.dataset} in ${job.tenant}: an administrator sets one (dp budget set)`);
      if (eps > b!.per_query) refuse('DP_QUERY_CAP', `ε ${req.epsilon} is more than the per-query cap ${fromMicro(b!.per_query)}`);
      if (b!.epsilon_spent + eps > b!.epsilon_total || b!.delta_spent + delta > b!.delta_total) {
        refuse(
          'DP_BUDGET_EXHAUSTED',
          `ε ${req.epsilon} would overspend ${req.dataset}'s budget: ${fromMicro(b!.epsilon_total - b!.epsilon_spent)} of ${fromMicro(b!.epsilon_total)} left`,
        );
      }
      const id = `dpr_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
      this.ctx.store.run(
        'UPDATE dp_budgets SET epsilon_spent = epsilon_spent + ?, delta_spent = delta_spent + ? WHERE tenant = ? AND dataset = ?',
        eps,
        delta,
        job.tenant,
        req.dataset,
      );
      this.ctx.store.run(
        "INSERT INTO dp_charges (id, tenant, dataset, job_id, epsilon, delta, mechanism, state, at) VALUES (?, ?, ?, ?, ?, ?, ?, 'reserved', ?)",
        id,
        job.tenant,
        req.dataset,
        job.jobId,
        eps,
        delta,
        req.mechanism,
        new Date().toISOString(),
      );
      this.ctx.audit.append({
        kind: EVENTS.DP_RESERVED,
        actor: job.user,
        tenant: job.tenant,
        subject: job.jobId,
        data: { reservation: id, dataset: req.dataset, epsilon: req.epsilon, delta: req.delta, mechanism: req.mechanism },
      });
      return id;
    });
  }

  private settle(job: { tenant: string; jobId: string; user: string }, reservation: string, ok: boolean, release?: DpReleaseRecord): void {
    this.ctx.store.tx(() => {
      const c = this.ctx.store.get<{ dataset: string; epsilon: number; delta: number; state: string }>(
        'SELECT dataset, epsilon, delta, state FROM dp_charges WHERE id = ? AND job_id = ?',
        reservation,
        job.jobId,
      );
      if (c?.state !== 'reserved') throw new OpError('BAD_REQUEST', 'no such open reservation');
      if (ok) {
        this.ctx.store.run("UPDATE dp_charges SET state = 'charged', release = ? WHERE id = ?", JSON.stringify(release ?? null), reservation);
        this.ctx.audit.append({
          kind: EVENTS.DP_CHARGED,
          actor: job.user,
          tenant: job.tenant,
          subject: job.jobId,
          data: { reservation, dataset: c.dataset, epsilon: fromMicro(c.epsilon), delta: c.delta / 1e12, rows: release?.rows.length ?? 0 },
        });
      } else {
        this.ctx.store.run("UPDATE dp_charges SET state = 'refunded' WHERE id = ?", reservation);
        this.ctx.store.run(
          'UPDATE dp_budgets SET epsilon_spent = epsilon_spent - ?, delta_spent = delta_spent - ? WHERE tenant = ? AND dataset = ?',
          c.epsilon,
          c.delta,
          job.tenant,
          c.dataset,
        );
        this.ctx.audit.append({
          kind: EVENTS.DP_REFUNDED,
          actor: job.user,
          tenant: job.tenant,
          subject: job.jobId,
          data: { reservation, dataset: c.dataset, epsilon: fromMicro(c.epsilon) },
        });
      }
    });
  }

  /** The DP releases a job was charged for (the export check recognises outputs made of them). */
  releasesOf(jobId: string): DpReleaseRecord[] {
    return this.ctx.store
      .all<{ release: string | null }>("SELECT release FROM dp_charges WHERE job_id = ? AND state = 'charged'", jobId)
      .flatMap((r) => (r.release ? [JSON.parse(r.release) as DpReleaseRecord] : []));
  }
}
