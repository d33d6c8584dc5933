// A risk stop's life as one transition table, with who may take each step (R19, R29): when
// analysis reveals a danger to security or privacy, processing stops until the authority
// resolves it. A report the domain raises itself starts `reported` and holds nothing until
// security staff confirm it. Anything not in the table is refused with RISK_STOP_TRANSITION; the person who
// raised a stop never resolves it. checkRiskAction() throws; canRiskAction() answers.
import { OpError } from '../errors/index.ts';

/** reported: raised by the domain itself, not yet holding anything until a person confirms it. */
export type RiskState = 'reported' | 'open' | 'resolved' | 'dismissed';
export type RiskAction = 'confirm' | 'resolve' | 'dismiss';
export type RiskRole = 'operator' | 'reviewer' | 'security' | 'admin';

/** [from, action, to, roles that may act]. */
export const RISK_TRANSITIONS: readonly (readonly [RiskState, RiskAction, RiskState, readonly RiskRole[]])[] = [
  ['reported', 'confirm', 'open', ['security', 'admin']],
  ['reported', 'dismiss', 'dismissed', ['security', 'admin']],
  ['open', 'resolve', 'resolved', ['security', 'admin']],
  ['open', 'dismiss', 'dismissed', ['security', 'admin']],
];

/** Who may raise a stop: an authorization's own operators, security staff, administrators. */
export const RISK_RAISERS: readonly RiskRole[] = ['operator', 'security', 'admin'];

export interface RiskActor {
  readonly user: string;
  readonly role: string;
}

function why(from: RiskState, action: RiskAction, actor: RiskActor, raisedBy: string): OpError | undefined {
  const t = RISK_TRANSITIONS.find(([f, a]) => f === from && a === action);
  if (!t) return new OpError('RISK_STOP_TRANSITION', `cannot ${action} a risk stop that is ${from}`);
  if (!t[3].includes(actor.role as RiskRole)) return new OpError('FORBIDDEN_ROLE', `only ${t[3].join(' or ')} may ${action} a risk stop`);
  if (actor.user === raisedBy) return new OpError('FORBIDDEN_ROLE', 'nobody resolves a risk stop they raised');
  return undefined;
}

export function canRiskAction(from: RiskState, action: RiskAction, actor: RiskActor, raisedBy: string): boolean {
  return why(from, action, actor, raisedBy) === undefined;
}

export function checkRiskAction(from: RiskState, action: RiskAction, actor: RiskActor, raisedBy: string): RiskState {
  const e = why(from, action, actor, raisedBy);
  if (e) throw e;
  return RISK_TRANSITIONS.find(([f, a]) => f === from && a === action)![2];
}

/** The actions this person may take on a stop (the console asks the server, never copies the rules). */
export function riskActionsFor(from: RiskState, actor: RiskActor, raisedBy: string): RiskAction[] {
  return (['confirm', 'resolve', 'dismiss'] as const).filter((a) => canRiskAction(from, a, actor, raisedBy));
}
