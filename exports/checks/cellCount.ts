// cell_count: in a table of counts, every published count must be at least the threshold
// (default 10). Count columns are found by lineage — output columns named like the alias of a
// COUNT aggregate in the job's queries — or by name; an aggregate table without one goes to review.
import type { RuleResult } from '../verdict.ts';
import { countColumns, type CheckContext, type Rule } from './context.ts';

export const cellCount: Rule = {
  id: 'cell_count',
  check(ctx: CheckContext): RuleResult {
    const min = ctx.thresholds.minCellCount;
    const countCols = countColumns(ctx);
    const aggregated = ctx.queries.some((q) => q.aggregates);
    if (countCols.length === 0) {
      if (!aggregated) return { rule: this.id, verdict: 'pass', reason: 'not a table of counts (record-level outputs are judged by the other rules)' };
      return { rule: this.id, verdict: 'review', reason: 'an aggregate output without a count column: cell sizes cannot be checked automatically' };
    }
    const cells: { row: number; column: string }[] = [];
    let small = 0;
    ctx.output.rows.forEach((r, i) =>
      countCols.forEach(({ name, j }) => {
        const v = r[j];
        if (typeof v === 'number' && v > 0 && v < min) {
          small++;
          if (cells.length < 20) cells.push({ row: i, column: name });
        }
      }),
    );
    if (small === 0) return { rule: this.id, verdict: 'pass', reason: `every count in ${countCols.map((x) => x.name).join(', ')} is at least ${min}` };
    return { rule: this.id, verdict: 'block', reason: `${small} cell(s) count fewer than ${min} persons; suppress or merge them`, cells };
  },
};
