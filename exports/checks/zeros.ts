// zeros: a count of zero says that nobody in a group has the attribute — a group disclosure.
// Judged on the full grid: a published zero, and a combination of published group values that
// does not appear at all (a structural zero the table shows by omission), go to a reviewer.
import type { RuleResult } from '../verdict.ts';
import { CellList, publishedCells, type CheckContext, type Rule } from './context.ts';

const MAX_GRID = 100_000;

export const zeros: Rule = {
  id: 'zeros',
  check(ctx: CheckContext): RuleResult {
    if (!ctx.measured || ctx.measured.error) return { rule: this.id, verdict: 'pass', reason: 'no measured count cell' };
    const zero = new CellList();
    for (const { row, column, cell, measure } of publishedCells(ctx)) {
      if (measure.item.kind === 'count' && measure.item.aggs.every((a) => (cell.aggs[a]?.units ?? 0) === 0)) zero.add(row, ctx.output.columns[column]!.name);
    }
    // Combinations absent from the grid: every dimension's published values crossed.
    let missing = 0;
    const dims = [...ctx.view.dimColumns];
    if (dims.length >= 2) {
      const seen = new Set(ctx.output.rows.map((r) => JSON.stringify(dims.map((j) => r[j]))));
      const values = dims.map((j) => [...new Set(ctx.output.rows.map((r) => JSON.stringify(r[j])))]);
      const size = values.reduce((a, v) => a * v.length, 1);
      if (size <= MAX_GRID) missing = size - seen.size;
    }
    if (zero.count === 0 && missing === 0)
      return { rule: this.id, verdict: 'pass', reason: 'no zero cell, and every combination of the published groups appears' };
    const parts = [
      zero.count > 0 ? `${zero.count} count cell(s) are zero` : '',
      missing > 0 ? `${missing} combination(s) of the published groups do not appear (zeros shown by omission)` : '',
    ].filter(Boolean);
    return { rule: this.id, verdict: 'review', reason: `${parts.join('; ')}: a zero tells that nobody in the group has the attribute`, cells: zero.cells };
  },
};
