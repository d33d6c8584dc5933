// Governance requests (R17): an operator reports a data-quality problem on a dataset or field;
// the authority assigns it to the providing department with a deadline; closing records what was
// fixed and the dataset version that fixed it. The reporter may withdraw it until assigned and
// never assigns, closes or rejects it.
import { workflow } from './table.ts';

export type GovernanceState = 'reported' | 'assigned' | 'resolved' | 'rejected' | 'withdrawn';
export type GovernanceAction = 'assign' | 'resolve' | 'reject' | 'withdraw';

export const GOVERNANCE = workflow<GovernanceState, GovernanceAction>(
  'governance request',
  'GOVERNANCE_TRANSITION',
  [
    ['reported', 'assign', 'assigned', ['reviewer', 'admin']],
    ['reported', 'reject', 'rejected', ['reviewer', 'admin']],
    ['reported', 'withdraw', 'withdrawn', ['operator']],
    ['assigned', 'assign', 'assigned', ['reviewer', 'admin']],
    ['assigned', 'resolve', 'resolved', ['admin']],
    ['assigned', 'reject', 'rejected', ['reviewer', 'admin']],
  ],
  ['withdraw'],
);

/** An assigned request past its deadline: the supervision view flags it. */
export function isOverdue(state: GovernanceState, deadline: string | null, now = new Date()): boolean {
  return state === 'assigned' && deadline !== null && new Date(deadline).getTime() < now.getTime();
}
