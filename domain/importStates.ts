// An import request's life (R13) as one table, who may act included (authority/'s workflow
// shape): the operator declares and uploads; reviewers approve N-of-M (never the requester) or
// return it; the approving step loads the data, masked, into the authorization's files, and ends
// loaded or failed (a failed load leaves nothing behind, and the operator may upload again).
import { workflow } from '../authority/index.ts';

export type ImportState = 'draft' | 'submitted' | 'in_review' | 'loading' | 'loaded' | 'failed' | 'returned' | 'withdrawn';
export type ImportAction = 'upload' | 'vote_approve' | 'approve' | 'return' | 'finish' | 'fail' | 'withdraw';

export const IMPORTS = workflow<ImportState, ImportAction>(
  'import request',
  'IMPORT_TRANSITION',
  [
    ['draft', 'upload', 'submitted', ['operator']],
    ['returned', 'upload', 'submitted', ['operator']],
    ['failed', 'upload', 'submitted', ['operator']],
    ['submitted', 'vote_approve', 'in_review', ['reviewer']],
    ['in_review', 'vote_approve', 'in_review', ['reviewer']],
    ['submitted', 'approve', 'loading', ['reviewer']],
    ['in_review', 'approve', 'loading', ['reviewer']],
    ['submitted', 'return', 'returned', ['reviewer']],
    ['in_review', 'return', 'returned', ['reviewer']],
    ['loading', 'finish', 'loaded', ['reviewer']],
    ['loading', 'fail', 'failed', ['reviewer']],
    ['draft', 'withdraw', 'withdrawn', ['operator']],
    ['submitted', 'withdraw', 'withdrawn', ['operator']],
    ['in_review', 'withdraw', 'withdrawn', ['operator']],
    ['returned', 'withdraw', 'withdrawn', ['operator']],
    ['failed', 'withdraw', 'withdrawn', ['operator']],
  ],
  ['upload', 'withdraw'],
);
