// The authority's supervision view (R12): every domain with its state, term, people, jobs,
// export requests and audit activity — counts and states, never data, and no operator rights.
import type { TenantState } from '../domain/index.ts';
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
  /** What needs the authority's attention (empty when nothing does), in English. */
  readonly flags: readonly string[];
  /** The same, as kinds and figures: the console says them in the reader's language. */
  readonly attention: readonly Attention[];
}

export type Attention =
  | { readonly kind: 'risk_stops_open'; readonly n: number }
  | { readonly kind: 'risk_reports_waiting'; readonly n: number }
  | { readonly kind: 'governance_overdue'; readonly n: number }
  | { readonly kind: 'drill_overdue'; readonly since: string | null };

const ATTENTION_EN: { readonly [K in Attention['kind']]: (a: Extract<Attention, { kind: K }>) => string } = {
  risk_stops_open: (a) => `${a.n} open risk stop(s)`,
  risk_reports_waiting: (a) => `${a.n} risk report(s) raised by the domain, waiting for confirmation`,
  governance_overdue: (a) => `${a.n} governance request(s) past their deadline`,
  drill_overdue: (a) => (a.since ? `no emergency drill since ${a.since}` : 'no emergency drill recorded'),
};
const attentionText = (a: Attention): string => (ATTENTION_EN[a.kind] as (x: Attention) => string)(a);

/** What the overview reads besides the store (the services that own those records). */
export interface SupervisionSources {
  governanceOverdue(): Map<string, number>;
  drillStatus(tenant: string): { lastDrill: string | null; drillOverdue: boolean };
}

export class SupervisionService {
  constructor(
    private readonly ctx: DomainContext,
    private readonly sources: SupervisionSources,
  ) {}

  overview(p: Principal): { domains: DomainSupervision[]; at: string } {
    checkRole(p, 'admin', 'security');
    const { store, people } = this.ctx;
    const count = (sql: string, id: string) => Object.fromEntries(store.all<{ state: string; n: number }>(sql, id).map((r) => [r.state, r.n]));
    const everyone = people.list();
    const overdue = this.sources.governanceOverdue();
    const domains = this.ctx.authorizations.list().map((a) => {
      const staff = everyone.filter((x) => x.tenant === a.id);
      const audit = store.get<{ n: number; last: string | null }>('SELECT count(*) AS n, max(at) AS last FROM audit WHERE tenant = ?', a.id)!;
      const refusals = store.get<{ n: number }>("SELECT count(*) AS n FROM audit WHERE tenant = ? AND kind IN ('ACCESS_DENIED', 'AUTH_REFUSED')", a.id)!.n;
      return {
        id: a.id,
        org: a.org,
        state: a.state,
        termEnd: a.termEnd,
        scenarios: a.scenarios,
        emergencyPlan: a.emergencyPlan !== null,
        people: { total: staff.length, mayAct: staff.filter((x) => people.mayAct(x)).length },
        jobs: count('SELECT state, count(*) AS n FROM jobs WHERE tenant = ? GROUP BY state', a.id),
        exports: count('SELECT state, count(*) AS n FROM export_requests WHERE tenant = ? GROUP BY state', a.id),
        audit: { entries: audit.n, last: audit.last, refusals },
        ...this.duties(a.id, a.state, overdue.get(a.id) ?? 0),
      };
    });
    return { domains, at: new Date().toISOString() };
  }

  private duties(tenant: string, state: TenantState, governanceOverdue: number): Pick<DomainSupervision, 'duties' | 'flags' | 'attention'> {
    const openRiskStops = this.ctx.store.get<{ n: number }>("SELECT count(*) AS n FROM risk_stops WHERE tenant = ? AND state = 'open'", tenant)!.n;
    const reported = this.ctx.store.get<{ n: number }>("SELECT count(*) AS n FROM risk_stops WHERE tenant = ? AND state = 'reported'", tenant)!.n;
    const drill = this.sources.drillStatus(tenant);
    const attention: Attention[] = [];
    if (openRiskStops > 0) attention.push({ kind: 'risk_stops_open', n: openRiskStops });
    if (reported > 0) attention.push({ kind: 'risk_reports_waiting', n: reported });
    if (governanceOverdue > 0) attention.push({ kind: 'governance_overdue', n: governanceOverdue });
    // A drill a year (R29) is a duty of a live authorization, not of a sealed or destroyed one.
    if (drill.drillOverdue && (state === 'active' || state === 'pending' || state === 'suspended'))
      attention.push({ kind: 'drill_overdue', since: drill.lastDrill });
    return { duties: { openRiskStops, governanceOverdue, ...drill }, flags: attention.map(attentionText), attention };
  }
}
