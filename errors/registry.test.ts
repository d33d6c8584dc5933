import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERRORS } from './index.ts';

// docs/errors.md and the registry must agree both ways, status included.
const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
const rows = [...doc.matchAll(/^\|\s*`([A-Z_]+)`\s*\|\s*(\d{3})\s*\|\s*(\w+)\s*\|/gm)].map((m) => ({
  code: m[1]!,
  status: Number(m[2]),
  cls: m[3]!,
}));

describe('error registry ↔ docs/errors.md', () => {
  it('documents every registered code with its status and class', () => {
    for (const [code, spec] of Object.entries(ERRORS)) {
      const row = rows.find((r) => r.code === code);
      expect(row, `docs/errors.md lacks ${code}`).toBeDefined();
      expect(row!.status, code).toBe(spec.status);
      expect(row!.cls, code).toBe(spec.class);
    }
  });
  it('documents no code that is not registered, and none twice', () => {
    for (const r of rows) expect(Object.keys(ERRORS), `unknown code ${r.code} in docs`).toContain(r.code);
    expect(new Set(rows.map((r) => r.code)).size).toBe(rows.length);
  });
});
