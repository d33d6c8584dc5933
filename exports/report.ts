// The parts of the report a reviewer acts on beside the rules: per column, where its values
// came from (a query's result column and its catalog fields, or script-derived); per published
// cell, the units behind it, the largest contributors' shares, and the rules that flag it.
import { publishedCells, unitsOf, type CheckContext } from './checks/index.ts';
import type { RuleResult } from './verdict.ts';

export interface ColumnDetail {
  readonly name: string;
  /** "query #2 column n", or "script-derived". */
  readonly source: string;
  readonly fields: readonly string[];
  readonly role: 'dimension' | 'measure' | 'record' | 'script-derived';
}

export interface CellDetail {
  readonly row: number;
  readonly column: string;
  readonly units: number;
  /** Shares of the cell's total held by its largest and second-largest unit (magnitudes). */
  readonly topShares?: readonly number[];
  readonly rules: readonly string[];
}

export function columnReport(ctx: CheckContext): ColumnDetail[] {
  return ctx.provenance.columns.map((c, j) => ({
    name: c.name,
    source: c.source ? `query #${c.source.query + 1} column ${c.source.name}` : 'script-derived',
    fields: [...new Set(c.inputs.map((i) => `${i.table}.${i.column} (${i.subtype.toLowerCase()})`))].sort().slice(0, 40),
    role: !c.source ? 'script-derived' : ctx.view.dimColumns.has(j) ? 'dimension' : (ctx.view.measures[j]?.length ?? 0) > 0 ? 'measure' : 'record',
  }));
}

const MAX_CELLS = 500;

export function cellReport(ctx: CheckContext, rules: readonly RuleResult[]): CellDetail[] {
  const flagged = new Map<string, Set<string>>();
  for (const r of rules) {
    if (r.verdict === 'pass') continue;
    for (const c of r.cells ?? []) if (c.row !== undefined) flagged.set(`${c.row}:${c.column}`, (flagged.get(`${c.row}:${c.column}`) ?? new Set()).add(r.rule));
  }
  const out = new Map<string, CellDetail>();
  for (const { row, column, cell, measure } of publishedCells(ctx)) {
    const name = ctx.output.columns[column]!.name;
    const key = `${row}:${name}`;
    const units = unitsOf(cell, measure.item);
    const prev = out.get(key);
    if (prev && prev.units <= units) continue;
    const a = measure.item.kind === 'magnitude' ? cell.aggs[measure.item.aggs[0]!] : undefined;
    const topShares = a && a.total > 0 ? a.top.slice(0, 2).map((t) => Math.round((t / a.total) * 1000) / 1000) : undefined;
    out.set(key, { row, column: name, units, ...(topShares ? { topShares } : {}), rules: [...(flagged.get(key) ?? [])].sort() });
    if (out.size >= MAX_CELLS) break;
  }
  return [...out.values()];
}
