// Risk stops (R19, R29): an operator, security staff or an administrator raises one on an
// authorization; its running jobs stop at once and new ones are held (RISK_STOP_ACTIVE) until
// the authority resolves or dismisses it — never the person who raised it. Who may take each
// step is the state table's (authority/riskStates.ts); every step commits with its audit event.
import { randomUUID } from 'node:crypto';
import { checkRiskAction, riskActionsFor, DOMAIN_ACTOR, RISK_PATTERNS, RISK_RAISERS, type RiskAction, type RiskState } from '../authority/index.ts';
import { OpError } from '../errors/index.ts';
import { EVENTS } from '../lineage/index.ts';
import type { DomainContext } from './context.ts';
import type { Jobs } from './jobs.ts';
import { canSeeTenant, checkRole, checkTenantScope, type Principal } from './principal.ts';
import { RiskStopRepository, type RiskRow } from './repositories/riskStops.ts';

export interface RiskStop {
  readonly id: string;
  readonly tenant: string;
  readonly state: RiskState;
  readonly reason: string;
  readonly raisedBy: string;
  readonly raisedAt: string;
  readonly resolution: string | null;
  readonly decidedBy: string | null;
  readonly decidedAt: string | null;
  /** The jobs the stop ended. */
  readonly stoppedJobs: readonly string[];
  /** What the caller may do with it now. */
  readonly actions: readonly RiskAction[];
}

const text = (v: unknown, what: string): string => {
  if (typeof v !== 'string' || v.trim().length < 10 || v.length > 4000) throw new OpError('BAD_REQUEST', `${what} must be a text of 10 to 4000 characters`);
  return v.trim();
};

export class RiskService {
  private readonly rows: RiskStopRepository;

  constructor(
    private readonly ctx: DomainContext,
    private readonly jobs: Jobs,
  ) {
    this.rows = new RiskStopRepository(ctx.store);
  }

  /** Refuses new processing while a stop is open (the jobs' door asks before starting one). */
  checkNoOpenStop(tenant: string): void {
    const open = this.rows.openStop(tenant);
    if (open) throw new OpError('RISK_STOP_ACTIVE', `risk stop ${open} holds processing in "${tenant}" until the authority resolves it`);
  }

  raise(p: Principal, tenant: string, reason: unknown): RiskStop {
    checkRole(p, ...RISK_RAISERS);
    checkTenantScope(p, tenant);
    this.ctx.authorizations.get(tenant);
    return this.get(p, this.open(tenant, text(reason, 'reason'), p.user));
  }

  /** Records an open stop and stops the authorization's running jobs; returns its id. */
  private open(tenant: string, why: string, actor: string): string {
    const id = `risk_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
    const at = new Date().toISOString();
    this.ctx.store.tx(() => {
      this.rows.insert({ id, tenant, state: 'open', reason: why, raised_by: actor, raised_at: at });
      this.ctx.audit.append({ kind: EVENTS.RISK_STOP_RAISED, actor, tenant, subject: id, data: { reason: why } });
    });
    // Running jobs stop now; the record keeps which.
    this.rows.setStoppedJobs(id, this.jobs.stopAll(tenant, actor, `risk stop ${id}`));
    return id;
  }

  /**
   * After a refusal in an authorization: when a pattern of refusals reaches its threshold, the
   * domain raises a risk report itself (`reported`, once per pattern since its last one). It holds
   * nothing until security staff confirm it (then it stops and holds like any stop): a pattern a
   * consumer outside the domain can trigger must not be a switch that halts an operator's work.
   * Returns the id of a report it raised.
   */
  watch(tenant: string): string | undefined {
    for (const pattern of RISK_PATTERNS) {
      // Refusals count from the window's start, or from the domain's last report on this pattern.
      const windowStart = new Date(Date.now() - pattern.windowHours * 3_600_000).toISOString();
      const last = this.rows.lastDomainReport(tenant, DOMAIN_ACTOR, pattern.id);
      const since = last && last > windowStart ? last : windowStart;
      const n = this.rows.countSince(tenant, since, pattern.where);
      if (n >= pattern.threshold) return this.report(tenant, `raised by the domain: ${pattern.describe(n)}`, pattern.id);
    }
    return undefined;
  }

  private report(tenant: string, why: string, pattern: string): string {
    const id = `risk_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
    this.ctx.store.tx(() => {
      this.rows.insert({ id, tenant, state: 'reported', reason: why, raised_by: DOMAIN_ACTOR, raised_at: new Date().toISOString() });
      this.ctx.audit.append({ kind: EVENTS.RISK_STOP_RAISED, actor: DOMAIN_ACTOR, tenant, subject: id, data: { reason: why, pattern, holds: false } });
    });
    return id;
  }

  decide(p: Principal, id: string, action: RiskAction, resolution: unknown): RiskStop {
    const r0 = this.row(p, id);
    checkRiskAction(r0.state, action, p, r0.raised_by);
    const note = text(resolution, 'resolution');
    this.ctx.store.tx(() => {
      const r = this.row(p, id);
      const to = checkRiskAction(r.state, action, p, r.raised_by);
      const at = new Date().toISOString();
      // A confirmed report becomes a stop: its note is why it was confirmed, not a resolution.
      if (action === 'confirm') this.rows.setState(id, to);
      else this.rows.decide(id, to, note, p.user, at);
      this.ctx.audit.append({
        kind: EVENTS.RISK_STOP_CHANGED,
        actor: p.user,
        tenant: r.tenant,
        subject: id,
        data: { from: r.state, to, action, resolution: note },
      });
    });
    if (action === 'confirm') {
      this.rows.setStoppedJobs(id, this.jobs.stopAll(r0.tenant, p.user, `risk stop ${id}`));
    }
    return this.get(p, id);
  }

  get(p: Principal, id: string): RiskStop {
    return this.view(p, this.row(p, id));
  }

  list(p: Principal, tenant?: string): RiskStop[] {
    const t = p.role === 'operator' ? (p.tenant ?? undefined) : tenant;
    return this.rows
      .list(t)
      .filter((r) => canSeeTenant(p, r.tenant))
      .map((r) => this.view(p, r));
  }

  private row(p: Principal, id: string): RiskRow {
    const r = this.rows.find(id);
    if (!r || !canSeeTenant(p, r.tenant)) throw new OpError('RISK_STOP_NOT_FOUND', 'no such risk stop in your scope');
    return r;
  }

  private view(p: Principal, r: RiskRow): RiskStop {
    return {
      id: r.id,
      tenant: r.tenant,
      state: r.state,
      reason: r.reason,
      raisedBy: r.raised_by,
      raisedAt: r.raised_at,
      resolution: r.resolution,
      decidedBy: r.decided_by,
      decidedAt: r.decided_at,
      stoppedJobs: JSON.parse(r.stopped_jobs) as string[],
      actions: riskActionsFor(r.state, p, r.raised_by),
    };
  }
}
