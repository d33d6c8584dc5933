// A product version's life as one table, who may act included (authority/'s workflow shape): a
// version starts submitted (not served), is approved by reviewers (N-of-M, never its proposer)
// and then served until revoked. An edit is a new version; the old one serves until revoked.
// PRODUCTS.check() throws; PRODUCTS.can() answers; PRODUCTS.actions() is what the console shows.
import { workflow } from '../authority/index.ts';

export type ProductState = 'submitted' | 'in_review' | 'approved' | 'returned' | 'rejected' | 'withdrawn' | 'revoked';
export type ProductAction = 'vote_approve' | 'approve' | 'return' | 'reject' | 'withdraw' | 'revoke';

/** The proposer alone withdraws (and never decides); reviewers decide; the authority revokes. */
export const PRODUCTS = workflow<ProductState, ProductAction>(
  'product version',
  'PRODUCT_TRANSITION',
  [
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
  ],
  ['withdraw'],
);

export const SERVED_STATES: ReadonlySet<ProductState> = new Set(['approved']);
