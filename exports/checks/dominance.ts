// dominance: a magnitude cell (a sum, an average, a spread) is unsafe when a few units make it
// up. Read from each unit's contribution, measured by the check: the (n, k) rule — the n largest
// above k of the total (default n=2, k=90%) — and the p-ratio rule — what remains after the two
// largest is under p (10%) of the largest — block; a cell whose contributors all have the same
// value blocks (each one's value is the cell's). A min, max, first or mode is one unit's value:
// block. A median or quantile is one unit's value too, from a large enough cell: review.
// Negative contributions leave dominance undefined: review.
import { kindOf, type AggStats } from '../cells.ts';
import type { RuleResult } from '../verdict.ts';
import { CellList, publishedCells, type CheckContext, type Rule, type Thresholds } from './context.ts';

export type DominanceFinding = 'nk' | 'p' | 'alike' | 'single' | 'quantile' | 'negative';

export function dominanceOf(a: AggStats, kind: string, t: Thresholds): DominanceFinding[] {
  if (a.units === 0) return [];
  if (kind === 'single') return ['single'];
  if (kind === 'count' || kind === 'model') return [];
  const out: DominanceFinding[] = [];
  if (kind === 'quantile') out.push('quantile');
  if (a.negative) return [...out, 'negative'];
  const [t1 = 0, t2 = 0] = a.top;
  const topN = a.top.slice(0, t.dominanceN).reduce((x, y) => x + y, 0);
  if (a.total > 0 && topN > t.dominanceK * a.total) out.push('nk');
  if (a.total > 0 && a.total - t1 - t2 < t.pRatio * t1) out.push('p');
  if (a.rows > 1 && a.min !== null && a.min === a.max) out.push('alike');
  return out;
}

export const BLOCKING_DOMINANCE: ReadonlySet<DominanceFinding> = new Set(['nk', 'p', 'alike', 'single']);

export const dominance: Rule = {
  id: 'dominance',
  check(ctx: CheckContext): RuleResult {
    if (!ctx.measured || ctx.measured.error)
      return {
        rule: this.id,
        verdict: ctx.measured?.error ? 'review' : 'pass',
        reason: ctx.measured?.error ? `contributions could not be measured (${ctx.measured.error})` : 'no measured magnitude cell',
      };
    const t = ctx.thresholds;
    const blocked = new CellList();
    const reviewed = new CellList();
    const reasons = new Set<string>();
    const text: Record<DominanceFinding, string> = {
      nk: `the ${t.dominanceN} largest units make up over ${Math.round(t.dominanceK * 100)}% of the total`,
      p: `the others add up to less than ${Math.round(t.pRatio * 100)}% of the largest`,
      alike: 'every contributor has the same value',
      single: 'a min, max, first or mode is one unit’s own value',
      quantile: 'a median or quantile is one unit’s value',
      negative: 'negative contributions leave dominance undefined',
    };
    for (const { row, column, cell, measure } of publishedCells(ctx)) {
      for (const a of measure.item.aggs) {
        const stats = cell.aggs[a];
        if (!stats) continue;
        const findings = dominanceOf(stats, kindOf([stats.fn]), t);
        for (const f of findings) {
          reasons.add(text[f]);
          (BLOCKING_DOMINANCE.has(f) ? blocked : reviewed).add(row, ctx.output.columns[column]!.name);
        }
      }
    }
    for (const k of ctx.measured.running) {
      reasons.add('a running window aggregate: consecutive values differ by one unit');
      blocked.add(undefined, ctx.provenance.columns.find((c) => c.source?.column === k)?.name ?? `column ${k + 1}`);
    }
    if (blocked.count > 0)
      return {
        rule: this.id,
        verdict: 'block',
        reason: `${blocked.count} magnitude cell(s) disclose few units: ${[...reasons].join('; ')}`,
        cells: blocked.cells,
      };
    if (reviewed.count > 0)
      return { rule: this.id, verdict: 'review', reason: `${reviewed.count} magnitude cell(s): ${[...reasons].join('; ')}`, cells: reviewed.cells };
    return {
      rule: this.id,
      verdict: 'pass',
      reason: `no dominated cell (n=${t.dominanceN}, k=${Math.round(t.dominanceK * 100)}%; p=${Math.round(t.pRatio * 100)}%), contributions per unit`,
    };
  },
};
