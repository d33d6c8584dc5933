// secondary_suppression: a table that withholds cells — trimmed by the operator's own HAVING,
// dropped by the script, or suppressed by the fix — and also publishes margins (subtotals,
// totals) lets a withheld cell be recovered by subtraction. Every such margin blocks
// (exports/margins.ts says when a withheld set is safe).
import { recoveries } from '../margins.ts';
import type { Cell } from '../cells.ts';
import type { RuleResult } from '../verdict.ts';
import type { CheckContext, Rule } from './context.ts';

export const secondarySuppression: Rule = {
  id: 'secondary_suppression',
  check(ctx: CheckContext): RuleResult {
    if (!ctx.measured || ctx.measured.error || ctx.view.withheld.length === 0) return { rule: this.id, verdict: 'pass', reason: 'no withheld cell to recover' };
    const withheld = new Set<Cell>(ctx.view.withheld);
    const published = new Set(ctx.measured.cells.filter((c) => !withheld.has(c)));
    const found = recoveries(ctx.measured.cells, published, ctx.thresholds.minCellCount);
    if (found.length === 0) return { rule: this.id, verdict: 'pass', reason: `${withheld.size} cell(s) withheld; no published margin gives them back` };
    const rows = new Set<number>();
    ctx.view.rowCells.forEach((parts, i) => parts.forEach((cs) => cs.forEach((c) => found.some((f) => f.margin === c) && rows.add(i))));
    const cells = [...rows].slice(0, 20).map((row) => ({ row, column: ctx.output.columns[0]?.name ?? '' }));
    return {
      rule: this.id,
      verdict: 'block',
      reason: `${found.length} published margin(s) give back withheld cells by subtraction (${found.reduce((a, f) => a + f.withheld.length, 0)} cell(s) withheld under them, fewer than two or fewer than ${ctx.thresholds.minCellCount} units together); suppress more cells (the fix does) or drop the margins`,
      cells,
    };
  },
};
