// Authorizations as the doors see them: the role and scope checks live here once, so the CLI
// and the HTTP API cannot drift apart (R12: authority roles see every domain; an operator only
// their own; only administrators change one).
import { OpError } from '../errors/index.ts';
import { TENANT_ACTORS, tenantActions, type Authorization, type AuthorizationSpec, type TenantAction } from '../domain/index.ts';
import type { Thresholds } from '../exports/index.ts';
import type { UsageOverrides } from '../masking/index.ts';
import type { DomainContext } from './context.ts';
import { checkReasonFor } from './reasons.ts';
import { canSeeTenant, checkRole, type Principal } from './principal.ts';

export interface PriorEvaluation {
  readonly tenant: string;
  readonly year: number;
  readonly score: number;
  readonly evaluatedAt: string;
}

/** An authorization with the lifecycle steps the caller may take on it now. */
export type AuthorizationView = Authorization & { readonly actions: readonly TenantAction[]; readonly priorEvaluations?: readonly PriorEvaluation[] };

export class TenantService {
  constructor(private readonly ctx: DomainContext) {}

  list(p: Principal): AuthorizationView[] {
    return this.ctx.authorizations
      .list()
      .filter((t) => canSeeTenant(p, t.id))
      .map((a) => ({ ...a, actions: tenantActions(a.state, p.role) }));
  }

  get(p: Principal, id: string): AuthorizationView {
    if (!canSeeTenant(p, id)) throw new OpError('FORBIDDEN_TENANT');
    return this.withEvaluations(p, this.ctx.authorizations.get(id));
  }

  /**
   * The authority sees the organisation's earlier evaluations beside an authorization (R15, R30):
   * an application after the term is judged with the record of the last one.
   */
  private withEvaluations(p: Principal, a: Authorization): AuthorizationView {
    const actions = tenantActions(a.state, p.role);
    if (p.role === 'operator') return { ...a, actions };
    const rows = this.ctx.store.all<{ tenant: string; year: number; score: number; evaluated_at: string }>(
      'SELECT tenant, year, score, evaluated_at FROM evaluations WHERE org = ? ORDER BY year DESC, evaluated_at DESC',
      a.org,
    );
    return { ...a, actions, priorEvaluations: rows.map((r) => ({ tenant: r.tenant, year: r.year, score: r.score, evaluatedAt: r.evaluated_at })) };
  }

  /** Records an authorization and, unless told otherwise, builds its masked files. */
  async create(p: Principal, spec: AuthorizationSpec, opts: { provision?: boolean } = {}): Promise<AuthorizationView> {
    checkRole(p, 'admin');
    this.ctx.authorizations.create(spec, p.user);
    const a = opts.provision === false ? this.ctx.authorizations.get(spec.id) : await this.ctx.authorizations.provision(spec.id, p.user);
    return this.withEvaluations(p, a);
  }

  setEmergencyPlan(p: Principal, id: string, plan: unknown): Authorization {
    checkRole(p, 'admin');
    return this.ctx.authorizations.setEmergencyPlan(id, plan, p.user);
  }

  build(p: Principal, id: string): Promise<Authorization> {
    checkRole(p, 'admin');
    return this.ctx.authorizations.provision(id, p.user);
  }

  transition(p: Principal, id: string, action: TenantAction, reason?: unknown): AuthorizationView {
    const actor = TENANT_ACTORS[action];
    if (actor === 'domain') throw new OpError('FORBIDDEN_ROLE', `the domain itself takes the step "${action}"; no person may`);
    checkRole(p, actor);
    const why = checkReasonFor(action, reason);
    const a = this.ctx.authorizations.transition(id, action, p.user, why);
    // Workers holding the tenant's files open let go of them (sealed or destroyed data stays closed).
    this.ctx.supervisor.retire(this.ctx.paths.tenantDir(id));
    this.ctx.productEngine.retire(this.ctx.paths.tenantDb(id, 'prod'));
    return { ...a, actions: tenantActions(a.state, p.role) };
  }

  /** The administrative level the authorization sits at (decides which demanded data needs the province's consent). */
  /** Tightens column usage levels (admin) and rebuilds the files, so the sandbox reads the new levels. */
  async setUsage(p: Principal, id: string, usage: unknown): Promise<Authorization> {
    checkRole(p, 'admin');
    if (!usage || typeof usage !== 'object' || Array.isArray(usage)) throw new OpError('BAD_REQUEST', 'usage maps "dataset.field" to { sandbox?, export? }');
    this.ctx.authorizations.setUsage(id, usage as UsageOverrides, p.user);
    return this.ctx.authorizations.get(id).build ? this.ctx.authorizations.provision(id, p.user) : this.ctx.authorizations.get(id);
  }

  setLevel(p: Principal, id: string, level: unknown): Authorization & { level: string } {
    checkRole(p, 'admin');
    if (typeof level !== 'string' || !['province', 'city', 'county'].includes(level))
      throw new OpError('BAD_REQUEST', 'level must be province, city or county');
    this.ctx.authorizations.setLevel(id, level, p.user);
    return { ...this.ctx.authorizations.get(id), level };
  }

  /** The floor every authorization's export thresholds must meet; readable by the authority. */
  thresholdFloor(p: Principal): Thresholds {
    checkRole(p, 'admin', 'reviewer', 'security');
    return this.ctx.authorizations.thresholdFloor();
  }

  setThresholdFloor(p: Principal, input: unknown): Thresholds {
    checkRole(p, 'admin');
    return this.ctx.authorizations.setThresholdFloor(input, p.user);
  }

  setThresholds(p: Principal, id: string, input: unknown): Authorization {
    checkRole(p, 'admin');
    return this.ctx.authorizations.setThresholds(id, input, p.user);
  }
}
