// People of the domain as the doors see them (R22): administrators register users and keep
// their real-name verification and confidentiality agreement current; the authority reads the
// register; an operator sees the people of their own authorization.
import { OpError } from '../errors/index.ts';
import { ROLES, type Person, type Role } from '../domain/index.ts';
import type { DomainContext } from './context.ts';
import { checkRole, type Principal } from './principal.ts';
import { checkReason, checkReasonFor } from './reasons.ts';

export interface PersonView extends Person {
  /** Whether the person may act now (verified, agreement current; trained where the domain requires it). */
  readonly mayAct: boolean;
  /** The level the person works at (province, city, county). */
  readonly level: string;
  /** The latest expiry of the person's pre-job training, or null. */
  readonly trainedUntil: string | null;
}

export class PeopleService {
  constructor(private readonly ctx: DomainContext) {}

  private view(p: Person): PersonView {
    return { ...p, mayAct: this.ctx.people.mayAct(p), level: this.ctx.people.levelOf(p.name), trainedUntil: this.ctx.people.trainedUntil(p.name) };
  }

  list(p: Principal, filter: { tenant?: string } = {}): PersonView[] {
    const all = this.ctx.people.list();
    if (p.role === 'operator') return all.filter((x) => x.tenant === p.tenant).map((x) => this.view(x));
    return all.filter((x) => !filter.tenant || x.tenant === filter.tenant).map((x) => this.view(x));
  }

  get(p: Principal, name: string): PersonView {
    const x = this.ctx.people.get(name);
    if (!x || (p.role === 'operator' && x.tenant !== p.tenant)) throw new OpError('USER_NOT_FOUND', 'no such user in your scope');
    return this.view(x);
  }

  /** Registers or replaces a user (administrators). An operator must belong to an existing authorization. */
  register(p: Principal, input: unknown): PersonView {
    checkRole(p, 'admin');
    const x = parsePerson(input);
    if (x.tenant && !this.ctx.authorizations.find(x.tenant)) throw new OpError('TENANT_NOT_FOUND', `no authorization "${x.tenant}"`);
    if (x.role !== 'operator' && x.tenant) throw new OpError('BAD_REQUEST', 'only operators belong to an authorization');
    return this.view(this.ctx.people.register(x, p.user));
  }

  /**
   * Stops a person from acting (administrators), with the reason on record. An administrator
   * cannot disable themselves: a domain whose last administrator locked themselves out would
   * need its files edited by hand to recover.
   */
  disable(p: Principal, name: string, reason: unknown): PersonView {
    checkRole(p, 'admin');
    const why = checkReason(reason, 'disable a person');
    const cur = this.ctx.people.get(name);
    if (!cur) throw new OpError('USER_NOT_FOUND', 'no such user');
    if (name === p.user) throw new OpError('BAD_REQUEST', 'you cannot disable yourself; ask another administrator');
    return this.view(this.ctx.people.setDisabled(name, true, why, p.user));
  }

  /** Lets a disabled person act again (administrators); a comment is optional. */
  enable(p: Principal, name: string, comment?: unknown): PersonView {
    checkRole(p, 'admin');
    const why = checkReasonFor('enable', comment);
    if (!this.ctx.people.get(name)) throw new OpError('USER_NOT_FOUND', 'no such user');
    return this.view(this.ctx.people.setDisabled(name, false, why, p.user));
  }

  /** Records real-name verification and/or a (new) confidentiality agreement term (administrators). */
  update(p: Principal, name: string, changes: { verified?: unknown; agreementUntil?: unknown; level?: unknown }): PersonView {
    checkRole(p, 'admin');
    const cur = this.ctx.people.get(name);
    if (!cur) throw new OpError('USER_NOT_FOUND', 'no such user');
    if (changes.level !== undefined) {
      if (typeof changes.level !== 'string' || !['province', 'city', 'county'].includes(changes.level))
        throw new OpError('BAD_REQUEST', 'level must be province, city or county');
      this.ctx.people.setLevel(name, changes.level, p.user);
      if (changes.verified === undefined && changes.agreementUntil === undefined) return this.view(cur);
    }
    if (changes.verified !== undefined && typeof changes.verified !== 'boolean') throw new OpError('BAD_REQUEST', 'verified must be true or false');
    const until =
      changes.agreementUntil === undefined ? cur.agreementUntil : changes.agreementUntil === null ? null : isoDate(changes.agreementUntil, 'agreementUntil');
    return this.view(this.ctx.people.register({ ...cur, verified: (changes.verified as boolean | undefined) ?? cur.verified, agreementUntil: until }, p.user));
  }
}

function isoDate(v: unknown, name: string): string {
  if (typeof v !== 'string' || Number.isNaN(new Date(v).getTime())) throw new OpError('BAD_REQUEST', `${name} must be a date`);
  return new Date(v).toISOString();
}

function parsePerson(input: unknown): Person {
  const x = input as Record<string, unknown> | null;
  if (!x || typeof x !== 'object' || Array.isArray(x)) throw new OpError('BAD_REQUEST', 'a person is {name, role, tenant?, display, verified, agreementUntil}');
  if (typeof x.name !== 'string') throw new OpError('BAD_REQUEST', 'name is required');
  if (typeof x.role !== 'string' || !(ROLES as readonly string[]).includes(x.role)) throw new OpError('BAD_REQUEST', `role must be one of ${ROLES.join(', ')}`);
  if (x.tenant !== undefined && x.tenant !== null && typeof x.tenant !== 'string') throw new OpError('BAD_REQUEST', 'tenant must be a string');
  if (typeof x.display !== 'string' || x.display.trim() === '' || x.display.length > 200)
    throw new OpError('BAD_REQUEST', 'display (the real name shown) is required');
  return {
    name: x.name,
    role: x.role as Role,
    tenant: (x.tenant as string | undefined) ?? null,
    display: x.display,
    verified: x.verified === true,
    agreementUntil: x.agreementUntil === undefined || x.agreementUntil === null ? null : isoDate(x.agreementUntil, 'agreementUntil'),
  };
}
