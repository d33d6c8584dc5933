// An authorization's lifecycle as one transition table (R15, R16, R31). Operator calls are
// allowed only in `active`; everything else refuses them.
import { OpError } from '../errors/index.ts';

export type TenantState = 'pending' | 'active' | 'suspended' | 'terminated' | 'expired' | 'sealed' | 'destroyed';
export type TenantAction = 'activate' | 'suspend' | 'resume' | 'terminate' | 'expire' | 'seal' | 'destroy';

export const TENANT_TRANSITIONS: readonly (readonly [TenantState, TenantAction, TenantState])[] = [
  ['pending', 'activate', 'active'],
  ['active', 'suspend', 'suspended'],
  ['suspended', 'resume', 'active'],
  ['active', 'terminate', 'terminated'],
  ['suspended', 'terminate', 'terminated'],
  ['active', 'expire', 'expired'],
  ['pending', 'seal', 'sealed'],
  ['active', 'seal', 'sealed'],
  ['suspended', 'seal', 'sealed'],
  ['terminated', 'seal', 'sealed'],
  ['expired', 'seal', 'sealed'],
  ['terminated', 'destroy', 'destroyed'],
  ['expired', 'destroy', 'destroyed'],
  ['sealed', 'destroy', 'destroyed'],
];

/**
 * Who may take each step: the administrators, or the domain itself (activation when the masked
 * files are built, expiry when the term ends). The console shows the steps this gives a person.
 */
export type TenantActor = 'admin' | 'domain';
export const TENANT_ACTORS: Readonly<Record<TenantAction, TenantActor>> = {
  activate: 'domain',
  expire: 'domain',
  suspend: 'admin',
  resume: 'admin',
  terminate: 'admin',
  seal: 'admin',
  destroy: 'admin',
};

/** The steps a person of this role may take on an authorization in this state. */
export function tenantActions(state: TenantState, role: string): TenantAction[] {
  return TENANT_TRANSITIONS.filter(([f, a]) => f === state && TENANT_ACTORS[a] === role).map(([, a]) => a);
}

export function canTenantTransition(from: TenantState, action: TenantAction): boolean {
  return TENANT_TRANSITIONS.some(([f, a]) => f === from && a === action);
}

export function checkTenantTransition(from: TenantState, action: TenantAction): TenantState {
  const t = TENANT_TRANSITIONS.find(([f, a]) => f === from && a === action);
  if (!t) throw new OpError('TENANT_TRANSITION', `cannot ${action} an authorization that is ${from}`);
  return t[2];
}
