// cell_count: every published cell — of a count and of every magnitude alike — must rest on at
// least the threshold of units of privacy (default 10 persons or enterprises), measured from the
// data by the check itself. A published count whose number is not what the data gives (count
// arithmetic, a count made in the script) blocks; an aggregate column the check could not
// measure goes to a reviewer, named.
import type { RuleResult } from '../verdict.ts';
import { CellList, publishedCells, unitsOf, unmeasuredColumns, type CheckContext, type Rule } from './context.ts';

/** A published count equals the measured one, or rounds it to a base (every value a multiple of it, off by less than the base). */
function roundingBase(values: readonly number[]): number {
  for (const b of [1000, 500, 100, 50, 20, 10, 5, 3, 2]) if (values.length > 0 && values.every((v) => v % b === 0)) return b;
  return 1;
}

export const cellCount: Rule = {
  id: 'cell_count',
  check(ctx: CheckContext): RuleResult {
    if (!ctx.measured) return { rule: this.id, verdict: 'pass', reason: 'no aggregate value in the output (record-level outputs are judged by k-anonymity)' };
    if (ctx.measured.error)
      return { rule: this.id, verdict: 'review', reason: `the cells could not be measured (${ctx.measured.error}): a reviewer must size them` };
    const min = ctx.thresholds.minCellCount;
    const small = new CellList();
    const wrong = new CellList();
    let smallest = Infinity;
    const { columns, rows } = ctx.output;
    const bases = columns.map((_, j) => roundingBase(rows.map((r) => r[j]).filter((v): v is number => typeof v === 'number')));
    for (const { row, column, cell, measure } of publishedCells(ctx)) {
      const units = unitsOf(cell, measure.item);
      if (units < min) {
        small.add(row, columns[column]!.name);
        smallest = Math.min(smallest, units);
      }
      if (measure.item.countArithmetic) {
        const v = rows[row]![column];
        const agg = cell.aggs[measure.item.aggs[0]!];
        const measured = measure.item.distinctCount ? (agg?.units ?? 0) : (agg?.rows ?? 0);
        const b = bases[column]!;
        if (typeof v !== 'number' || (v !== measured && !(b > 1 && Math.abs(v - measured) < b))) wrong.add(row, columns[column]!.name);
      }
    }
    // A value the script made for a group still speaks of that group's units.
    const derived = ctx.provenance.columns.map((c, j) => (!c.source ? j : -1)).filter((j) => j >= 0);
    ctx.view.rowCells.forEach((parts, i) => {
      for (const j of derived) {
        if (rows[i]![j] === null || rows[i]![j] === undefined) continue;
        for (const cell of parts.flat()) {
          const units = Math.min(...cell.units);
          if (units < min) {
            small.add(i, columns[j]!.name);
            smallest = Math.min(smallest, units);
          }
        }
      }
    });
    // Two measures of one cell whose units differ by a few publish those few by subtraction: within
    // one column (count(*) - count(*) FILTER …) for any aggregate, across a row's columns for counts.
    const split = new CellList();
    const rowCounts = new Map<string, { units: number; column: string }[]>();
    for (const { row, column, cell, measure } of publishedCells(ctx)) {
      const units = measure.item.aggs.map((a) => cell.aggs[a]?.units ?? 0);
      if (units.some((u, i) => units.some((w, k) => k > i && Math.abs(u - w) > 0 && Math.abs(u - w) < min))) split.add(row, columns[column]!.name);
      if (measure.item.kind !== 'count') continue;
      const key = `${row}:${cell.part}:${cell.gid}`;
      rowCounts.set(key, [...(rowCounts.get(key) ?? []), ...units.map((u) => ({ units: u, column: columns[column]!.name }))]);
    }
    for (const [key, list] of rowCounts) {
      for (const a of list) {
        if (list.some((b) => b.column !== a.column && Math.abs(a.units - b.units) > 0 && Math.abs(a.units - b.units) < min))
          split.add(Number(key.split(':')[0]), a.column);
      }
    }
    const unmeasured = unmeasuredColumns(ctx);
    if (wrong.count > 0)
      return {
        rule: this.id,
        verdict: 'block',
        reason: `${wrong.count} published count(s) differ from what the data gives for their cell (arithmetic on a count): counts are published as measured, or rounded`,
        cells: wrong.cells,
      };
    if (split.count > 0)
      return {
        rule: this.id,
        verdict: 'block',
        reason: `${split.count} cell(s) publish two measures whose units differ by fewer than ${min}: their difference is a small cell`,
        cells: split.cells,
      };
    if (small.count > 0)
      return {
        rule: this.id,
        verdict: 'block',
        reason: `${small.count} cell(s) rest on fewer than ${min} units of privacy (smallest ${smallest}), measured from the data; suppress or merge them`,
        cells: small.cells,
      };
    if (unmeasured.length > 0)
      return {
        rule: this.id,
        verdict: 'review',
        reason: `column(s) ${unmeasured.join(', ')} hold aggregates the check could not tie to measured cells: a reviewer must size them`,
        cells: unmeasured.map((column) => ({ column })),
      };
    return {
      rule: this.id,
      verdict: 'pass',
      reason: `every published cell rests on at least ${min} units of privacy (${ctx.measured?.sources.map((s) => s.field).join(', ')})`,
    };
  },
};
