// The N-of-M rule both queues (export requests, product versions) decide by: who may vote, and
// which step of the table a vote is. Each queue keeps its own votes table and transition table.
import { OpError } from '../errors/index.ts';
import { checkRole, type Principal } from './principal.ts';
import { checkReasonFor } from './reasons.ts';

export type Decision = 'approve' | 'return' | 'reject';

/**
 * Never the filer — refused with the queue's own code, whatever the caller's role, before
 * anything else — then reviewers only, a known decision, a bounded comment.
 */
export function checkVoter(
  p: Principal,
  filer: string,
  self: 'EXPORT_SELF_APPROVAL' | 'PRODUCT_SELF_APPROVAL' | 'IMPORT_SELF_APPROVAL',
  decision: unknown,
  comment: unknown,
  decisions: readonly Decision[] = ['approve', 'return', 'reject'],
): void {
  if (filer === p.user) throw new OpError(self);
  checkRole(p, 'reviewer');
  if (typeof decision !== 'string' || !(decisions as readonly string[]).includes(decision))
    throw new OpError('BAD_REQUEST', `decision must be ${decisions.join(', ')}`);
  // Returning or rejecting what someone filed tells them why; an approval may say nothing.
  checkReasonFor(decision, comment);
}

/** The approval that reaches the required number approves; the ones before it only count. */
export function voteAction(decision: Decision, approvalsBefore: number, required: number): Decision | 'vote_approve' {
  if (decision !== 'approve') return decision;
  return approvalsBefore + 1 >= required ? 'approve' : 'vote_approve';
}
