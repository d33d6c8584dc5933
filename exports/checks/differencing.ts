// differencing: two releases of the same measure over the same group whose unit sets differ by
// a few units reveal those few (release A: everyone; release B: everyone but the over-90s →
// the difference is a handful of people named by elimination). Every released cell is in the
// domain-wide ledger (exports/ledger.ts); a new cell — or another cell of the same output — on
// the same measure and group whose units differ from a released one's by 0 < d < the threshold
// blocks, counts and magnitudes alike, naming the earlier release. Same size but another unit
// set (within one authorization, where unit fingerprints compare) goes to a reviewer.
import { ledgerCells, ledgerConflicts } from '../ledger.ts';
import type { RuleResult } from '../verdict.ts';
import type { CheckContext, Rule } from './context.ts';

export const differencing: Rule = {
  id: 'differencing',
  check(ctx: CheckContext): RuleResult {
    const mine = ledgerCells(ctx);
    if (mine.length === 0) return { rule: this.id, verdict: 'pass', reason: 'no measured cell to compare with earlier releases' };
    const min = ctx.thresholds.minCellCount;
    const found = ledgerConflicts(mine, (m) => ctx.priorCells?.(m) ?? [], min, ctx.tenant);
    if (found.blocks > 0)
      return {
        rule: this.id,
        verdict: 'block',
        reason: `${found.blocks} cell(s) or margin(s) differ from an earlier release of the same measure and group by fewer than ${min} units (smallest difference ${found.smallest}; ${found.sources.slice(0, 5).join(', ')}): the difference would identify them`,
      };
    if (found.swapped.length > 0)
      return {
        rule: this.id,
        verdict: 'review',
        reason: `cells of the same measure and group were released over a different set of units of the same size (${found.swapped.slice(0, 5).join(', ')}): a reviewer must check what their difference reveals`,
      };
    return { rule: this.id, verdict: 'pass', reason: `no cell differs from an earlier release by a small group (${mine.length} cell(s) compared)` };
  },
};
