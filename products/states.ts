// A product version's life as one table, who may act included (airlock's STATUS_OWNERS): a
// version starts submitted (not served), is approved by reviewers (N-of-M, never its proposer)
// and then served until revoked. An edit is a new version; the old one serves until revoked.
// checkProductAction() throws; canProductAction() answers; the console asks the server.
import { OpError } from '../errors/index.ts';

export type ProductState = 'submitted' | 'in_review' | 'approved' | 'returned' | 'rejected' | 'withdrawn' | 'revoked';
export type ProductAction = 'vote_approve' | 'approve' | 'return' | 'reject' | 'withdraw' | 'revoke';
export type Role = 'operator' | 'reviewer' | 'security' | 'admin';

/** [from, action, to, who may]. The proposer alone withdraws; reviewers decide; the authority revokes. */
export const PRODUCT_TRANSITIONS: readonly (readonly [ProductState, ProductAction, ProductState, readonly Role[]])[] = [
  ['submitted', 'vote_approve', 'in_review', ['reviewer']],
  ['in_review', 'vote_approve', 'in_review', ['reviewer']],
  ['submitted', 'approve', 'approved', ['reviewer']],
  ['in_review', 'approve', 'approved', ['reviewer']],
  ['submitted', 'return', 'returned', ['reviewer']],
  ['in_review', 'return', 'returned', ['reviewer']],
  ['submitted', 'reject', 'rejected', ['reviewer']],
  ['in_review', 'reject', 'rejected', ['reviewer']],
  ['submitted', 'withdraw', 'withdrawn', ['operator']],
  ['in_review', 'withdraw', 'withdrawn', ['operator']],
  ['returned', 'withdraw', 'withdrawn', ['operator']],
  ['approved', 'revoke', 'revoked', ['reviewer', 'security', 'admin']],
];

export const SERVED_STATES: ReadonlySet<ProductState> = new Set(['approved']);

function find(from: ProductState, action: ProductAction) {
  return PRODUCT_TRANSITIONS.find(([f, a]) => f === from && a === action);
}

export function canProductAction(from: ProductState, action: ProductAction, role: Role): boolean {
  const t = find(from, action);
  return !!t && t[3].includes(role);
}

export function checkProductAction(from: ProductState, action: ProductAction, role: Role): ProductState {
  const t = find(from, action);
  if (!t) throw new OpError('PRODUCT_TRANSITION', `cannot ${action.replace('_', ' ')} a version that is ${from}`);
  if (!t[3].includes(role)) throw new OpError('FORBIDDEN_ROLE', `a ${role} may not ${action.replace('_', ' ')} a product version`);
  return t[2];
}

/** What this role may do to a version in this state (the console shows only these buttons). */
export function productActions(from: ProductState, role: Role): ProductAction[] {
  const actions = PRODUCT_TRANSITIONS.filter(([f, , , who]) => f === from && who.includes(role)).map(([, a]) => a);
  // Approving is one button whether or not it is the last vote.
  return [...new Set(actions.map((a) => (a === 'vote_approve' ? 'approve' : a)))];
}

/** Mermaid state diagram generated from the table (docs/products.md embeds it). */
export function productStateDiagram(): string {
  const lines = ['stateDiagram-v2', '  [*] --> submitted: propose'];
  for (const [f, a, t, who] of PRODUCT_TRANSITIONS) lines.push(`  ${f} --> ${t}: ${a} (${who.join(', ')})`);
  return lines.join('\n');
}
