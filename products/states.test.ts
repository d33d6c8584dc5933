import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PRODUCT_TRANSITIONS, canProductAction, checkProductAction, productActions, productStateDiagram } from './index.ts';

describe('the product version table', () => {
  it('names who may act on every transition, and refuses everyone else', () => {
    for (const [from, action, to, who] of PRODUCT_TRANSITIONS) {
      for (const role of ['operator', 'reviewer', 'security', 'admin'] as const) {
        expect(canProductAction(from, action, role)).toBe(who.includes(role));
        if (who.includes(role)) expect(checkProductAction(from, action, role)).toBe(to);
        else expect(() => checkProductAction(from, action, role)).toThrow(expect.objectContaining({ code: 'FORBIDDEN_ROLE' }));
      }
    }
  });
  it('ends in rejected, withdrawn and revoked; only an approved version can be revoked', () => {
    for (const s of ['rejected', 'withdrawn', 'revoked'] as const) for (const r of ['operator', 'reviewer', 'security', 'admin'] as const) expect(productActions(s, r)).toEqual([]);
    expect(() => checkProductAction('submitted', 'revoke', 'admin')).toThrow(expect.objectContaining({ code: 'PRODUCT_TRANSITION' }));
    expect(productActions('approved', 'security')).toEqual(['revoke']);
    expect(productActions('submitted', 'reviewer').sort()).toEqual(['approve', 'reject', 'return']);
  });
  it('is drawn from the table in docs/products.md', () => {
    const doc = readFileSync(new URL('../docs/products.md', import.meta.url), 'utf8');
    expect(doc).toContain(productStateDiagram());
  });
});
