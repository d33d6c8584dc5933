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

interface RiskRow {
  id: string;
  tenant: string;
  state: RiskState;
  reason: string;
  raised_by: string;
  raised_at: string;
  resolution: string | null;
  decided_by: string | null;
  decided_at: string | null;
  stopped_jobs: string;
}

const text = (v: unknown, what: string): string => {
  if (typeof v !== 'string' || v.trim().length < 10 || v.length > 4000) throw new OpError('BAD_REQUEST', `${what} must be a text of 10 to 4000 characters`);
  return v.trim();
};

export class RiskService {
  constructor(
    private readonly ctx: DomainContext,
    private readonly jobs: Jobs,
  ) {}

  /** Refuses new processing while a stop is open (the jobs' door asks before starting one). */
  checkNoOpenStop(tenant: string): void {
    const open = this.ctx.store.get<{ id: string }>("SELECT id FROM risk_stops WHERE tenant = ? AND state = 'open' LIMIT 1", tenant);
    if (open) throw new OpError('RISK_STOP_ACTIVE', `risk stop ${open.id} holds processing in "${tenant}" until the authority resolves it`);
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
      this.ctx.store.run(
        "INSERT INTO risk_stops (id, tenant, state, reason, raised_by, raised_at, stopped_jobs) VALUES (?, ?, 'open', ?, ?, ?, '[]')",
        id,
        tenant,
        why,
        actor,
        at,
      );
      this.ctx.audit.append({ kind: EVENTS.RISK_STOP_RAISED, actor, tenant, subject: id, data: { reason: why } });
    });
    // Running jobs stop now; the record keeps which.
    const stopped = this.jobs.stopAll(tenant, actor, `risk stop ${id}`);
    this.ctx.store.run('UPDATE risk_stops SET stopped_jobs = ? WHERE id = ?', JSON.stringify(stopped), id);
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
    const { store } = this.ctx;
    for (const pattern of RISK_PATTERNS) {
      // Refusals count from the window's start, or from the domain's last report on this pattern.
      const windowStart = new Date(Date.now() - pattern.windowHours * 3_600_000).toISOString();
      const last = store.get<{ at: string }>(
        "SELECT at FROM audit WHERE tenant = ? AND kind = 'RISK_STOP_RAISED' AND actor = ? AND json_extract(body, '$.data.pattern') = ? ORDER BY seq DESC LIMIT 1",
        tenant,
        DOMAIN_ACTOR,
        pattern.id,
      )?.at;
      const since = last && last > windowStart ? last : windowStart;
      const n = store.get<{ n: number }>(`SELECT count(*) AS n FROM audit WHERE tenant = ? AND at > ? AND ${pattern.where}`, tenant, since)!.n;
      if (n >= pattern.threshold) return this.report(tenant, `raised by the domain: ${pattern.describe(n)}`, pattern.id);
    }
    return undefined;
  }

  private report(tenant: string, why: string, pattern: string): string {
    const id = `risk_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
    this.ctx.store.tx(() => {
      this.ctx.store.run(
        "INSERT INTO risk_stops (id, tenant, state, reason, raised_by, raised_at, stopped_jobs) VALUES (?, ?, 'reported', ?, ?, ?, '[]')",
        id,
        tenant,
        why,
        DOMAIN_ACTOR,
        new Date().toISOString(),
      );
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
      if (action === 'confirm') this.ctx.store.run('UPDATE risk_stops SET state = ? WHERE id = ?', to, id);
      else this.ctx.store.run('UPDATE risk_stops SET state = ?, resolution = ?, decided_by = ?, decided_at = ? WHERE id = ?', to, note, p.user, at, id);
      this.ctx.audit.append({
        kind: EVENTS.RISK_STOP_CHANGED,
        actor: p.user,
        tenant: r.tenant,
        subject: id,
        data: { from: r.state, to, action, resolution: note },
      });
    });
    if (action === 'confirm') {
      const stopped = this.jobs.stopAll(r0.tenant, p.user, `risk stop ${id}`);
      this.ctx.store.run('UPDATE risk_stops SET stopped_jobs = ? WHERE id = ?', JSON.stringify(stopped), id);
    }
    return this.get(p, id);
  }

  get(p: Principal, id: string): RiskStop {
    return this.view(p, this.row(p, id));
  }

  list(p: Principal, tenant?: string): RiskStop[] {
    const t = p.role === 'operator' ? p.tenant : tenant;
    const rows = t
      ? this.ctx.store.all<RiskRow>('SELECT * FROM risk_stops WHERE tenant = ? ORDER BY raised_at DESC LIMIT 500', t)
      : this.ctx.store.all<RiskRow>('SELECT * FROM risk_stops ORDER BY raised_at DESC LIMIT 500');
    return rows.filter((r) => canSeeTenant(p, r.tenant)).map((r) => this.view(p, r));
  }

  private row(p: Principal, id: string): RiskRow {
    const r = this.ctx.store.get<RiskRow>('SELECT * FROM risk_stops WHERE id = ?', id);
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
