// differencing: two releases of the same count over the same groups that differ by fewer
// persons than the cell threshold reveal those few persons (release A: everyone; release B:
// everyone but the over-90s → the difference is a handful of named-by-elimination people).
// Every released count cell goes into a ledger; a new cell on the same measure, datasets and
// group that differs from a released one by 0 < |d| < minCellCount blocks.
import type { RuleResult } from '../verdict.ts';
import { countColumns, type CheckContext, type Rule } from './context.ts';

/** The datasets an output draws on, as the ledger keys them. */
export function ledgerTables(ctx: CheckContext): string {
  return [...new Set(ctx.queries.flatMap((q) => q.tables))].sort().join(',');
}

/** Group key of a row for a count column: the other columns that are not counts or magnitudes, by name. */
export function ledgerKey(ctx: CheckContext, row: readonly unknown[], skip: ReadonlySet<number>): string {
  const parts: [string, unknown][] = [];
  ctx.output.columns.forEach((c, j) => {
    if (!skip.has(j)) parts.push([c.name.toLowerCase(), row[j] ?? null]);
  });
  parts.sort((a, b) => (a[0] < b[0] ? -1 : 1));
  return JSON.stringify(parts);
}

/** Columns that are measures (counts, magnitudes, models): not part of a group's key. */
export function measureColumns(ctx: CheckContext): Set<number> {
  const mags = new Set(ctx.queries.flatMap((q) => q.magnitudes.map((m) => m.measure.toLowerCase())));
  const skip = new Set(countColumns(ctx).map((c) => c.j));
  ctx.output.columns.forEach((c, j) => {
    if (mags.has(c.name.toLowerCase()) || c.type === 'DOUBLE') skip.add(j);
  });
  return skip;
}

export const differencing: Rule = {
  id: 'differencing',
  check(ctx: CheckContext): RuleResult {
    const cols = countColumns(ctx);
    if (cols.length === 0 || !ctx.priorReleases) return { rule: this.id, verdict: 'pass', reason: 'no count cell to compare with earlier releases' };
    const tables = ledgerTables(ctx);
    const skip = measureColumns(ctx);
    const min = ctx.thresholds.minCellCount;
    const cells: { row: number; column: string }[] = [];
    let n = 0;
    let smallest = Infinity;
    for (const { name, j } of cols) {
      const prior = ctx.priorReleases(name.toLowerCase(), tables);
      if (prior.size === 0) continue;
      ctx.output.rows.forEach((r, i) => {
        const v = r[j];
        if (typeof v !== 'number') return;
        for (const old of prior.get(ledgerKey(ctx, r, skip)) ?? []) {
          const d = Math.abs(v - old);
          if (d > 0 && d < min) {
            n++;
            smallest = Math.min(smallest, d);
            if (cells.length < 20) cells.push({ row: i, column: name });
            break;
          }
        }
      });
    }
    if (n === 0) return { rule: this.id, verdict: 'pass', reason: 'no count differs from an earlier release by a small group' };
    return { rule: this.id, verdict: 'block', reason: `${n} cell(s) differ from an earlier release of the same count by fewer than ${min} persons (smallest difference ${smallest}): the difference would identify them`, cells };
  },
};
