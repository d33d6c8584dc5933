// Authorizations as the doors see them: the role and scope checks live here once, so the CLI
// and the HTTP API cannot drift apart (R12: authority roles see every domain; an operator only
// their own; only administrators change one).
import { OpError } from '../../errors/index.ts';
import type { Authorization, AuthorizationSpec, TenantAction } from '../../domain/index.ts';
import type { Thresholds } from '../../exports/index.ts';
import type { DomainContext } from './context.ts';
import { canSeeTenant, checkRole, type Principal } from './principal.ts';

export class TenantService {
  constructor(private readonly ctx: DomainContext) {}

  list(p: Principal): Authorization[] {
    return this.ctx.authorizations.list().filter((t) => canSeeTenant(p, t.id));
  }

  get(p: Principal, id: string): Authorization {
    if (!canSeeTenant(p, id)) throw new OpError('FORBIDDEN_TENANT');
    return this.ctx.authorizations.get(id);
  }

  /** Records an authorization and, unless told otherwise, builds its masked files. */
  async create(p: Principal, spec: AuthorizationSpec, opts: { provision?: boolean } = {}): Promise<Authorization> {
    checkRole(p, 'admin');
    this.ctx.authorizations.create(spec, p.user);
    return opts.provision === false ? this.ctx.authorizations.get(spec.id) : this.ctx.authorizations.provision(spec.id, p.user);
  }

  setEmergencyPlan(p: Principal, id: string, plan: unknown): Authorization {
    checkRole(p, 'admin');
    return this.ctx.authorizations.setEmergencyPlan(id, plan, p.user);
  }

  build(p: Principal, id: string): Promise<Authorization> {
    checkRole(p, 'admin');
    return this.ctx.authorizations.provision(id, p.user);
  }

  transition(p: Principal, id: string, action: TenantAction, reason?: string): Authorization {
    checkRole(p, 'admin');
    const a = this.ctx.authorizations.transition(id, action, p.user, reason?.slice(0, 500));
    // Workers holding the tenant's files open let go of them (sealed or destroyed data stays closed).
    this.ctx.supervisor.retire(this.ctx.paths.tenantDir(id));
    this.ctx.productEngine.retire(this.ctx.paths.tenantDb(id, 'prod'));
    return a;
  }

  /** The administrative level the authorization sits at (decides which demanded data needs the province's consent). */
  setLevel(p: Principal, id: string, level: unknown): Authorization & { level: string } {
    checkRole(p, 'admin');
    if (typeof level !== 'string' || !['province', 'city', 'county'].includes(level)) throw new OpError('BAD_REQUEST', 'level must be province, city or county');
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
