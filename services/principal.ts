// Who is calling, and the role policies. checkX() throws; canX() answers.
import { OpError } from '../errors/index.ts';
import type { Role } from '../domain/index.ts';

export interface Principal {
  readonly user: string;
  readonly role: Role;
  /** The one authorization an operator acts in; null for authority staff. */
  readonly tenant: string | null;
}

export function canRole(p: Principal, ...roles: Role[]): boolean {
  return roles.includes(p.role);
}

export function checkRole(p: Principal, ...roles: Role[]): void {
  if (!canRole(p, ...roles)) throw new OpError('FORBIDDEN_ROLE', `this action needs the role ${roles.join(' or ')}; you are ${p.role}`);
}

/** Operators reach only their own authorization; authority roles see every domain (R12). */
export function canSeeTenant(p: Principal, tenant: string): boolean {
  return p.role === 'operator' ? p.tenant === tenant : true;
}

export function checkTenantScope(p: Principal, tenant: string): void {
  if (!canSeeTenant(p, tenant)) throw new OpError('FORBIDDEN_TENANT', 'this authorization is outside your scope');
}
