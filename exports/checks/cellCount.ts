// cell_count: in a table of counts, every published count must be at least the threshold
// (default 10). Count columns are found by lineage — output columns named like the alias of a
// COUNT aggregate in the job's queries — or by name; an aggregate table without one goes to review.
import type { RuleResult } from '../verdict.ts';
import type { CheckContext, Rule } from './context.ts';

const COUNT_NAME = /^(n|cnt|count|counts|num|people|persons|population|households|records|.*_(n|cnt|count|num))$/i;

export const cellCount: Rule = {
  id: 'cell_count',
  check(ctx: CheckContext): RuleResult {
    const { columns, rows } = ctx.output;
    const min = ctx.thresholds.minCellCount;
    const aliases = new Set(ctx.queries.flatMap((q) => q.countAliases.map((a) => a.toLowerCase())));
    const countCols = columns
      .map((c, j) => ({ c, j }))
      .filter(({ c }) => (c.type === 'BIGINT' || c.type === 'DOUBLE') && (aliases.has(c.name.toLowerCase()) || COUNT_NAME.test(c.name)));
    const aggregated = ctx.queries.some((q) => q.aggregates);
    if (countCols.length === 0) {
      if (!aggregated) return { rule: this.id, verdict: 'pass', reason: 'not a table of counts (record-level outputs are judged by the other rules)' };
      return { rule: this.id, verdict: 'review', reason: 'an aggregate output without a count column: cell sizes cannot be checked automatically' };
    }
    const cells: { row: number; column: string }[] = [];
    let small = 0;
    rows.forEach((r, i) =>
      countCols.forEach(({ c, j }) => {
        const v = r[j];
        if (typeof v === 'number' && v > 0 && v < min) {
          small++;
          if (cells.length < 20) cells.push({ row: i, column: c.name });
        }
      }),
    );
    if (small === 0) return { rule: this.id, verdict: 'pass', reason: `every count in ${countCols.map((x) => x.c.name).join(', ')} is at least ${min}` };
    return { rule: this.id, verdict: 'block', reason: `${small} cell(s) count fewer than ${min} persons; suppress or merge them`, cells };
  },
};
