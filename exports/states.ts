// The export request's life as one transition table. Anything not in the table is refused
// with EXPORT_TRANSITION. checkTransition() throws; canTransition() answers.
import { OpError } from '../errors/index.ts';

export type ExportState = 'draft' | 'blocked' | 'submitted' | 'in_review' | 'approved' | 'released' | 'returned' | 'rejected' | 'withdrawn' | 'revoked';
export type ExportAction = 'submit' | 'revise' | 'vote_approve' | 'approve' | 'release' | 'return' | 'reject' | 'resubmit' | 'withdraw' | 'revoke';

/** [from, action, to]: 'vote_approve' records an approval short of the required number. */
export const EXPORT_TRANSITIONS: readonly (readonly [ExportState, ExportAction, ExportState])[] = [
  ['draft', 'submit', 'submitted'],
  ['draft', 'revise', 'draft'],
  ['draft', 'withdraw', 'withdrawn'],
  ['blocked', 'revise', 'draft'],
  ['returned', 'revise', 'draft'],
  ['submitted', 'vote_approve', 'in_review'],
  ['in_review', 'vote_approve', 'in_review'],
  ['submitted', 'approve', 'approved'],
  ['in_review', 'approve', 'approved'],
  ['approved', 'release', 'released'],
  ['submitted', 'return', 'returned'],
  ['in_review', 'return', 'returned'],
  ['submitted', 'reject', 'rejected'],
  ['in_review', 'reject', 'rejected'],
  ['returned', 'resubmit', 'submitted'],
  ['submitted', 'withdraw', 'withdrawn'],
  ['in_review', 'withdraw', 'withdrawn'],
  ['returned', 'withdraw', 'withdrawn'],
  ['released', 'revoke', 'revoked'],
];

/**
 * Who takes each step: the operator who filed the request, a reviewer who is not the requester
 * and has not voted yet, the authority (reviewers, security staff, administrators), or the domain
 * itself (the release that follows the last approval).
 */
export type ExportActor = 'requester' | 'voter' | 'authority' | 'domain';
export const EXPORT_ACTORS: Readonly<Record<ExportAction, ExportActor>> = {
  submit: 'requester',
  revise: 'requester',
  resubmit: 'requester',
  withdraw: 'requester',
  vote_approve: 'voter',
  approve: 'voter',
  return: 'voter',
  reject: 'voter',
  release: 'domain',
  revoke: 'authority',
};

/** The caller as the table sees them on one request. */
export interface ExportCaller {
  readonly role: string;
  readonly isRequester: boolean;
  readonly hasVoted: boolean;
}

/** The roles each actor is held by; the domain's own steps are nobody's. */
const ACTOR_ROLES: Readonly<Record<ExportActor, readonly string[]>> = {
  requester: ['operator'],
  voter: ['reviewer'],
  authority: ['reviewer', 'security', 'admin'],
  domain: [],
};

function isActor(actor: ExportActor, c: ExportCaller): boolean {
  if (!ACTOR_ROLES[actor].includes(c.role)) return false;
  if (actor === 'requester') return c.isRequester;
  if (actor === 'voter') return !c.isRequester && !c.hasVoted;
  return true;
}

/** Whether a person of this role may ever take `action` (the table's actor, before the request is read). */
export function canExportRole(action: ExportAction, role: string): boolean {
  return ACTOR_ROLES[EXPORT_ACTORS[action]].includes(role);
}

/** The same, as the refusal a person hears: FORBIDDEN_ROLE, naming the roles the table gives the step. */
export function checkExportRole(action: ExportAction, role: string): void {
  if (canExportRole(action, role)) return;
  const roles = ACTOR_ROLES[EXPORT_ACTORS[action]];
  throw new OpError('FORBIDDEN_ROLE', roles.length ? `this action needs the role ${roles.join(' or ')}; you are ${role}` : 'the domain itself takes this step');
}

/** The requester's steps are the requester's alone: another operator of the authorization is refused. */
export function checkExportRequester(action: ExportAction, c: ExportCaller): void {
  if (EXPORT_ACTORS[action] === 'requester' && !c.isRequester) throw new OpError('FORBIDDEN_ROLE', 'only the requester can change this request');
}

/** What the caller may do with a request in this state (an approval short of the last is still "approve"). */
export function exportActions(state: ExportState, caller: ExportCaller): ExportAction[] {
  const actions = EXPORT_TRANSITIONS.filter(([f, a]) => f === state && isActor(EXPORT_ACTORS[a], caller)).map(([, a]) =>
    a === 'vote_approve' ? 'approve' : a,
  );
  return [...new Set(actions)];
}

export function nextState(from: ExportState, action: ExportAction): ExportState | undefined {
  return EXPORT_TRANSITIONS.find(([f, a]) => f === from && a === action)?.[2];
}

export function canTransition(from: ExportState, action: ExportAction): boolean {
  return nextState(from, action) !== undefined;
}

export function checkTransition(from: ExportState, action: ExportAction): ExportState {
  const to = nextState(from, action);
  if (!to) throw new OpError('EXPORT_TRANSITION', `cannot ${action.replace('_', ' ')} a request that is ${from}`);
  return to;
}

/** Mermaid state diagram generated from the table (docs/exports.md embeds it). */
export function stateDiagram(): string {
  const lines = ['stateDiagram-v2', '  [*] --> draft: request (draft)', '  [*] --> submitted: request (pass / review)', '  [*] --> blocked: request (block)'];
  for (const [f, a, t] of EXPORT_TRANSITIONS) lines.push(`  ${f} --> ${t}: ${a}`);
  return lines.join('\n');
}
