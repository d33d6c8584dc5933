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
