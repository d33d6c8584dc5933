// The authority's supervision view (R12): every domain with its state, term, people, jobs,
// export requests and audit activity — counts and states, never data, and no operator rights.
import type { TenantState } from '../../domain/index.ts';
import type { DomainContext } from './context.ts';
import { checkRole, type Principal } from './principal.ts';

export interface DomainSupervision {
  readonly id: string;
  readonly org: string;
  readonly state: TenantState;
  readonly termEnd: string;
  readonly scenarios: readonly string[];
  readonly emergencyPlan: boolean;
  readonly people: { readonly total: number; readonly mayAct: number };
  readonly jobs: Readonly<Record<string, number>>;
  readonly exports: Readonly<Record<string, number>>;
  readonly audit: { readonly entries: number; readonly last: string | null; readonly refusals: number };
  /** The authority's duties: open risk stops, governance requests past their deadline, the last emergency drill. */
  readonly duties: { readonly openRiskStops: number; readonly governanceOverdue: number; readonly lastDrill: string | null; readonly drillOverdue: boolean };
  /** What needs the authority's attention (empty when nothing does). */
  readonly flags: readonly string[];
}

/** What the overview reads besides the store (the services that own those records). */
export interface SupervisionSources {
  governanceOverdue(): Map<string, number>;
  drillStatus(tenant: string): { lastDrill: string | null; drillOverdue: boolean };
}

export class SupervisionService {
  constructor(private readonly ctx: DomainContext, private readonly sources: SupervisionSources) {}

  overview(p: Principal): { domains: DomainSupervision[]; at: string } {
    checkRole(p, 'admin', 'security');
    const { store, people } = this.ctx;
    const count = (sql: string, id: string) =>
      Object.fromEntries(store.all<{ state: string; n: number }>(sql, id).map((r) => [r.state, r.n]));
    const everyone = people.list();
    const overdue = this.sources.governanceOverdue();
    const domains = this.ctx.authorizations.list().map((a) => {
      const staff = everyone.filter((x) => x.tenant === a.id);
      const audit = store.get<{ n: number; last: string | null }>('SELECT count(*) AS n, max(at) AS last FROM audit WHERE tenant = ?', a.id)!;
      const refusals = store.get<{ n: number }>("SELECT count(*) AS n FROM audit WHERE tenant = ? AND kind IN ('ACCESS_DENIED', 'AUTH_REFUSED')", a.id)!.n;
      return {
        id: a.id, org: a.org, state: a.state, termEnd: a.termEnd, scenarios: a.scenarios, emergencyPlan: a.emergencyPlan !== null,
        people: { total: staff.length, mayAct: staff.filter((x) => people.mayAct(x)).length },
        jobs: count('SELECT state, count(*) AS n FROM jobs WHERE tenant = ? GROUP BY state', a.id),
        exports: count('SELECT state, count(*) AS n FROM export_requests WHERE tenant = ? GROUP BY state', a.id),
        audit: { entries: audit.n, last: audit.last, refusals },
        ...this.duties(a.id, a.state, overdue.get(a.id) ?? 0),
      };
    });
    return { domains, at: new Date().toISOString() };
  }

  private duties(tenant: string, state: TenantState, governanceOverdue: number): Pick<DomainSupervision, 'duties' | 'flags'> {
    const openRiskStops = this.ctx.store.get<{ n: number }>("SELECT count(*) AS n FROM risk_stops WHERE tenant = ? AND state = 'open'", tenant)!.n;
    const reported = this.ctx.store.get<{ n: number }>("SELECT count(*) AS n FROM risk_stops WHERE tenant = ? AND state = 'reported'", tenant)!.n;
    const drill = this.sources.drillStatus(tenant);
    const flags: string[] = [];
    if (openRiskStops > 0) flags.push(`${openRiskStops} open risk stop(s)`);
    if (reported > 0) flags.push(`${reported} risk report(s) raised by the domain, waiting for confirmation`);
    if (governanceOverdue > 0) flags.push(`${governanceOverdue} governance request(s) past their deadline`);
    // A drill a year (R29) is a duty of a live authorization, not of a sealed or destroyed one.
    if (drill.drillOverdue && (state === 'active' || state === 'pending' || state === 'suspended')) flags.push(drill.lastDrill ? `no emergency drill since ${drill.lastDrill}` : 'no emergency drill recorded');
    return { duties: { openRiskStops, governanceOverdue, ...drill }, flags };
  }
}
