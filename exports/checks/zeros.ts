// zeros: a count of zero says that nobody in a group has the attribute — a group disclosure
// (everyone in the group is known not to). Zero cells go to a reviewer, named.
import type { RuleResult } from '../verdict.ts';
import { countColumns, type CheckContext, type Rule } from './context.ts';

export const zeros: Rule = {
  id: 'zeros',
  check(ctx: CheckContext): RuleResult {
    const cols = countColumns(ctx);
    if (cols.length === 0) return { rule: this.id, verdict: 'pass', reason: 'no count column' };
    const cells: { row: number; column: string }[] = [];
    let n = 0;
    ctx.output.rows.forEach((r, i) =>
      cols.forEach(({ name, j }) => {
        if (r[j] === 0) {
          n++;
          if (cells.length < 20) cells.push({ row: i, column: name });
        }
      }),
    );
    return n === 0
      ? { rule: this.id, verdict: 'pass', reason: 'no zero count' }
      : { rule: this.id, verdict: 'review', reason: `${n} count cell(s) are zero: a zero tells that nobody in the group has the attribute`, cells };
  },
};
