import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PRODUCTS } from './index.ts';

const ROLES = ['operator', 'reviewer', 'security', 'admin'] as const;

describe('the product version table', () => {
  it('names who may act on every transition, and refuses everyone else', () => {
    for (const [from, action, to, who] of PRODUCTS.transitions) {
      for (const role of ROLES) {
        const actor = { user: 'u', role };
        const filer = action === 'withdraw' ? 'u' : 'proposer';
        expect(PRODUCTS.can(from, action, actor, filer)).toBe(who.includes(role));
        if (who.includes(role)) expect(PRODUCTS.check(from, action, actor, filer)).toBe(to);
        else expect(() => PRODUCTS.check(from, action, actor, filer)).toThrow(expect.objectContaining({ code: 'FORBIDDEN_ROLE' }));
      }
    }
  });
  it('the proposer alone withdraws and never decides; terminal states allow nothing; only an approved version is revoked', () => {
    expect(PRODUCTS.can('submitted', 'withdraw', { user: 'other', role: 'operator' }, 'alice')).toBe(false);
    expect(PRODUCTS.can('submitted', 'approve', { user: 'alice', role: 'reviewer' }, 'alice')).toBe(false);
    for (const s of ['rejected', 'withdrawn', 'revoked'] as const) for (const role of ROLES) expect(PRODUCTS.actions(s, { user: 'u', role }, 'p')).toEqual([]);
    expect(() => PRODUCTS.check('submitted', 'revoke', { user: 'u', role: 'admin' }, 'p')).toThrow(expect.objectContaining({ code: 'PRODUCT_TRANSITION' }));
    expect(PRODUCTS.actions('approved', { user: 'u', role: 'security' }, 'p')).toEqual(['revoke']);
    expect(PRODUCTS.actions('submitted', { user: 'u', role: 'reviewer' }, 'p').sort()).toEqual(['approve', 'reject', 'return', 'vote_approve']);
  });
  it('is drawn from the table in docs/products.md', () => {
    const doc = readFileSync(new URL('../docs/products.md', import.meta.url), 'utf8');
    expect(doc).toContain(PRODUCTS.diagram('submitted'));
  });
});
