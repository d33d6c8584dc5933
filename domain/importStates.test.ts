import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { IMPORTS } from './importStates.ts';

describe('the import request table', () => {
  it('lets the requester upload and withdraw, reviewers decide, and nobody decide their own', () => {
    expect(IMPORTS.actions('draft', { user: 'alice', role: 'operator' }, 'alice').sort()).toEqual(['upload', 'withdraw']);
    expect(IMPORTS.actions('draft', { user: 'eve', role: 'operator' }, 'alice')).toEqual([]);
    expect(IMPORTS.actions('submitted', { user: 'bob', role: 'reviewer' }, 'alice').sort()).toEqual(['approve', 'return', 'vote_approve']);
    expect(IMPORTS.can('submitted', 'approve', { user: 'alice', role: 'reviewer' }, 'alice')).toBe(false);
    for (const s of ['loaded', 'withdrawn'] as const)
      for (const role of ['operator', 'reviewer', 'security', 'admin']) expect(IMPORTS.actions(s, { user: 'u', role }, 'p')).toEqual([]);
    expect(() => IMPORTS.check('draft', 'approve', { user: 'bob', role: 'reviewer' }, 'alice')).toThrow(expect.objectContaining({ code: 'IMPORT_TRANSITION' }));
    expect(() => IMPORTS.check('submitted', 'approve', { user: 'ada', role: 'admin' }, 'alice')).toThrow(expect.objectContaining({ code: 'FORBIDDEN_ROLE' }));
  });
  it('is drawn from the table in docs/own-data.md', () => {
    const doc = readFileSync(new URL('../docs/own-data.md', import.meta.url), 'utf8');
    expect(doc).toContain(IMPORTS.diagram('draft'));
  });
});
