// row_cap: files over the row threshold (default 5,000) or the size threshold (default 10 MB
// as CSV) need a reviewer's look even when every other rule passes; an empty file too.
import type { RuleResult } from '../verdict.ts';
import type { CheckContext, Rule } from './context.ts';

/** The output's size as CSV, about (cell texts and separators), counted only up to `limit`. */
function approxBytes(rows: readonly (readonly unknown[])[], limit: number): number {
  let n = 0;
  for (const r of rows) {
    for (const v of r) n += (v === null || v === undefined ? 0 : String(v).length) + 1;
    n += 1;
    if (n > limit) break;
  }
  return n;
}

export const rowCap: Rule = {
  id: 'row_cap',
  check(ctx: CheckContext): RuleResult {
    const n = ctx.output.rows.length;
    const { maxRowsWithoutReview: cap, maxBytesWithoutReview: byteCap } = ctx.thresholds;
    if (n === 0) return { rule: this.id, verdict: 'review', reason: 'the output is empty' };
    if (n > cap) return { rule: this.id, verdict: 'review', reason: `${n} rows is over the ${cap}-row cap for files without review` };
    const bytes = approxBytes(ctx.output.rows, byteCap);
    if (bytes > byteCap) return { rule: this.id, verdict: 'review', reason: `the file is over the ${byteCap}-byte cap for files without review` };
    return { rule: this.id, verdict: 'pass', reason: `${n} rows (cap ${cap}), about ${bytes} bytes (cap ${byteCap})` };
  },
};
