// row_cap: files over the row threshold (default 5,000) need a reviewer's look even when
// every other rule passes.
import type { RuleResult } from '../verdict.ts';
import type { CheckContext, Rule } from './context.ts';

export const rowCap: Rule = {
  id: 'row_cap',
  check(ctx: CheckContext): RuleResult {
    const n = ctx.output.rows.length;
    const cap = ctx.thresholds.maxRowsWithoutReview;
    if (n === 0) return { rule: this.id, verdict: 'review', reason: 'the output is empty' };
    return n > cap
      ? { rule: this.id, verdict: 'review', reason: `${n} rows is over the ${cap}-row cap for files without review` }
      : { rule: this.id, verdict: 'pass', reason: `${n} rows (cap ${cap})` };
  },
};
