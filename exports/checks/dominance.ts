// dominance: a magnitude cell (a sum, an average, a min or max) is unsafe when a few
// contributors make it up. Read from the contributors themselves (the check environment
// re-reads them from the tenant file): the (n, k) rule — the n largest above k of the total
// (default n=2, k=90%) — and the p-ratio rule — what remains after the two largest is under
// p (10%) of the largest — block; a cell whose contributors all have the same value, or a min or
// max (one person's value), goes to review.
import { VALUE_CARRYING_FUNCTIONS } from '../../sandbox/index.ts';
import type { RuleResult } from '../verdict.ts';
import { cellsOf, outputMagnitudes, type CheckContext, type Rule } from './context.ts';


export const dominance: Rule = {
  id: 'dominance',
  check(ctx: CheckContext): RuleResult {
    const mags = outputMagnitudes(ctx, false);
    if (mags.length === 0) return { rule: this.id, verdict: 'pass', reason: 'no magnitude cell (sum, average, min, max) in the output' };
    const { dominanceN: dn, dominanceK: dk, pRatio } = ctx.thresholds;
    const blocked: { row?: number; column: string }[] = [];
    const reviewed: { row?: number; column: string }[] = [];
    let nBlock = 0;
    let nReview = 0;
    const reasons = new Set<string>();
    for (const m of mags) {
      if (m.error) {
        // Contributors unreadable: a reviewer judges the cells instead.
        nReview++;
        reviewed.push({ column: m.measure });
        continue;
      }
      const j = ctx.output.columns.findIndex((c) => c.name.toLowerCase() === m.measure.toLowerCase());
      for (const { row, stats } of cellsOf(ctx, m)) {
        // A suppressed (empty) cell discloses nothing.
        if (stats.n === 0 || (row !== undefined && ctx.output.rows[row]![j] === null)) continue;
        const cell = { ...(row !== undefined ? { row } : {}), column: m.measure };
        if (VALUE_CARRYING_FUNCTIONS.has(m.fn)) {
          nReview++;
          if (reviewed.length < 20) reviewed.push(cell);
          continue;
        }
        const topN = stats.top.slice(0, dn).reduce((a, b) => a + b, 0);
        const [t1 = 0, t2 = 0] = stats.top;
        const dominated = stats.total > 0 && topN > dk * stats.total;
        const pFail = stats.total > 0 && stats.total - t1 - t2 < pRatio * t1;
        if (dominated || pFail) {
          nBlock++;
          if (dominated) reasons.add(`the ${dn} largest contributors make up over ${Math.round(dk * 100)}% of the total`);
          if (pFail) reasons.add(`the others add up to less than ${Math.round(pRatio * 100)}% of the largest`);
          if (blocked.length < 20) blocked.push(cell);
        } else if (stats.n > 1 && stats.min === stats.max) {
          nReview++;
          if (reviewed.length < 20) reviewed.push(cell);
        }
      }
    }
    const names = [...new Set(mags.map((m) => m.measure))].join(', ');
    if (nBlock > 0) return { rule: this.id, verdict: 'block', reason: `${nBlock} magnitude cell(s) in ${names} are dominated: ${[...reasons].join('; ')}`, cells: blocked };
    if (nReview > 0) return { rule: this.id, verdict: 'review', reason: `${nReview} magnitude cell(s) in ${names} show one contributor's value (a min or max, contributors all alike) or their contributors could not be read`, cells: reviewed };
    return { rule: this.id, verdict: 'pass', reason: `no dominated cell in ${names} (n=${dn}, k=${Math.round(dk * 100)}%; p=${Math.round(pRatio * 100)}%)` };
  },
};
