import { describe, expect, it } from 'vitest';
import { DEFAULT_THRESHOLDS, type CheckContext } from './context.ts';
import { rowCap } from './rowCap.ts';
import { EMPTY_VIEW } from '../view.ts';

const ctx = (rows: unknown[][], t: Partial<typeof DEFAULT_THRESHOLDS> = {}): CheckContext => ({
  output: { name: 'o', columns: [{ name: 'label', type: 'VARCHAR' }], rows },
  provenance: { columns: [], query: null, shape: 'record', rowsDropped: false, carried: [], queries: [] },
  measured: null,
  view: EMPTY_VIEW,
  tenant: 't',
  exportLevels: () => [],
  thresholds: { ...DEFAULT_THRESHOLDS, ...t },
  identifierMatches: async () => new Map(),
});

describe('row_cap', () => {
  it('asks for review over the row cap, over the size cap, and for an empty file', () => {
    expect(rowCap.check(ctx([['a']]))).toMatchObject({ verdict: 'pass' });
    expect(rowCap.check(ctx([]))).toMatchObject({ verdict: 'review' });
    expect(
      rowCap.check(
        ctx(
          Array.from({ length: 11 }, () => ['a']),
          { maxRowsWithoutReview: 10 },
        ),
      ),
    ).toMatchObject({ verdict: 'review', reason: expect.stringMatching(/11 rows/) });
    expect(rowCap.check(ctx([['x'.repeat(2000)]], { maxBytesWithoutReview: 1000 }))).toMatchObject({
      verdict: 'review',
      reason: expect.stringMatching(/1000-byte cap/),
    });
  });
});
