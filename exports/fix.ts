// The one-step fix an operator can ask for with a request. `suppress` withholds whole cells:
// every measure of a cell that fails a rule (too few units, dominated, one unit's value, a model
// on too few observations) is emptied, then secondary cells are withheld so that no published
// margin gives a withheld cell back (smallest complement: under each margin that would, the
// published cell with the fewest units is withheld too, repeated until no margin does).
// `roundTo: B` rounds every published count to a multiple of B. What was changed is returned —
// and recorded with the request — so suppression is never silent; the re-check then sends the
// mitigated output to a reviewer.
import { OpError } from '../errors/index.ts';
import type { Cell } from './cells.ts';
import { dominanceOf, publishedCells, unitsOf, type CheckContext } from './checks/index.ts';
import { withRows } from './checkEnvironment.ts';
import { recoveries } from './margins.ts';

export interface FixSpec {
  /** Withhold failing cells whole, and the secondary cells that protect them. */
  readonly suppress?: boolean;
  /** Round every count cell to a multiple of this base (2–100). */
  readonly roundTo?: number;
}

export interface FixRecord {
  /** What was asked for (a revision without a new fix applies it again). */
  readonly spec: FixSpec;
  readonly suppressed: readonly { row: number; column: string; reason: string }[];
  readonly rounded: { readonly base: number; readonly columns: readonly string[]; readonly cells: number } | null;
  /** How secondary cells are chosen. */
  readonly method?: string;
  /** The operator's view: which cells were changed is not shown (it speaks of the data). */
  readonly redacted?: boolean;
}

export const SUPPRESSION_METHOD =
  'primary: every measure of a failing cell; secondary: smallest complement under each margin that would give a withheld cell back, repeated';

export function parseFix(input: unknown): FixSpec | undefined {
  if (input === undefined || input === null) return undefined;
  if (typeof input !== 'object' || Array.isArray(input)) throw new OpError('BAD_REQUEST', 'fix must be an object { suppress?, roundTo? }');
  const { suppress, roundTo, ...rest } = input as Record<string, unknown>;
  if (Object.keys(rest).length > 0) throw new OpError('BAD_REQUEST', 'fix takes only suppress and roundTo');
  if (suppress !== undefined && typeof suppress !== 'boolean') throw new OpError('BAD_REQUEST', 'fix.suppress must be true or false');
  if (roundTo !== undefined && (typeof roundTo !== 'number' || !Number.isInteger(roundTo) || roundTo < 2 || roundTo > 100))
    throw new OpError('BAD_REQUEST', 'fix.roundTo must be an integer from 2 to 100');
  if (!suppress && roundTo === undefined) return undefined;
  return { ...(suppress ? { suppress: true } : {}), ...(roundTo !== undefined ? { roundTo } : {}) };
}

/** Why a published cell fails on its own, or undefined. */
function primaryReason(ctx: CheckContext, cell: Cell, item: Parameters<typeof unitsOf>[1]): string | undefined {
  const t = ctx.thresholds;
  if (unitsOf(cell, item) < t.minCellCount) return `fewer than ${t.minCellCount} units`;
  for (const a of item.aggs) {
    const s = cell.aggs[a];
    if (!s) continue;
    if (item.kind === 'model' && s.rows - 2 < t.minResidualDf) return 'too few residual degrees of freedom';
    const f = dominanceOf(s, item.kind === 'count' ? 'count' : item.kind, t).filter((x) => x !== 'quantile' && x !== 'negative');
    if (f.length > 0) return `dominated (${f.join(', ')})`;
  }
  return undefined;
}

/** Applies the fix to a copy of the rows; the check then runs again on what will be released. */
export function applyFix(ctx: CheckContext, fix: FixSpec): { rows: unknown[][]; record: FixRecord } {
  const rows = ctx.output.rows.map((r) => [...r]);
  const suppressed: { row: number; column: string; reason: string }[] = [];
  const measureCols = ctx.view.measures.map((m, j) => (m.length > 0 ? j : -1)).filter((j) => j >= 0);
  const withheldRows = new Set<number>();
  const withhold = (row: number, reason: string) => {
    if (withheldRows.has(row)) return;
    withheldRows.add(row);
    for (const j of measureCols) {
      if (rows[row]![j] === null) continue;
      rows[row]![j] = null;
      suppressed.push({ row, column: ctx.output.columns[j]!.name, reason });
    }
  };
  if (fix.suppress && ctx.measured && !ctx.measured.error) {
    for (const { row, cell, measure } of publishedCells(ctx)) {
      const why = primaryReason(ctx, cell, measure.item);
      if (why) withhold(row, why);
    }
    // Secondary: until no margin gives a withheld cell back.
    const rowsOf = new Map<Cell, number[]>();
    ctx.view.rowCells.forEach((parts, i) => parts.forEach((cs) => cs.forEach((c) => rowsOf.set(c, [...(rowsOf.get(c) ?? []), i]))));
    for (let round = 0; round < rows.length; round++) {
      const view = withRows(ctx, rows, true).view;
      const withheld = new Set(view.withheld);
      const published = new Set(ctx.measured.cells.filter((c) => !withheld.has(c)));
      const found = recoveries(ctx.measured.cells, published, ctx.thresholds.minCellCount);
      if (found.length === 0) break;
      const f = found[0]!;
      const candidates = f.published.filter((c) => c !== f.margin).sort((a, b) => Math.min(...a.units) - Math.min(...b.units));
      const next = candidates[0] ?? f.margin;
      for (const row of rowsOf.get(next) ?? []) withhold(row, 'secondary: protects a withheld cell from recovery by subtraction');
      if (!rowsOf.get(next)?.length) break;
    }
  }
  let rounded: FixRecord['rounded'] = null;
  if (fix.roundTo) {
    const base = fix.roundTo;
    let cells = 0;
    const countCols = ctx.view.measures.map((m, j) => (m.length > 0 && m.every((x) => x.item.kind === 'count') ? j : -1)).filter((j) => j >= 0);
    for (const j of countCols) {
      for (const r of rows) {
        const v = r[j];
        if (typeof v === 'number') {
          const to = Math.round(v / base) * base;
          if (to !== v) cells++;
          r[j] = to;
        }
      }
    }
    rounded = { base, columns: countCols.map((j) => ctx.output.columns[j]!.name), cells };
  }
  return { rows, record: { spec: fix, suppressed, rounded, method: SUPPRESSION_METHOD } };
}

/** Applies a recorded fix to the original rows again (at review and release), without the check environment. */
export function replayFix(columns: readonly { name: string }[], rows: readonly (readonly unknown[])[], record: FixRecord): unknown[][] {
  const out = rows.map((r) => [...r]);
  const idx = (name: string) => columns.findIndex((c) => c.name === name);
  for (const s of record.suppressed) {
    const j = idx(s.column);
    if (j >= 0 && out[s.row]) out[s.row]![j] = null;
  }
  if (record.rounded) {
    const { base } = record.rounded;
    for (const col of record.rounded.columns) {
      const j = idx(col);
      if (j >= 0) for (const r of out) if (typeof r[j] === 'number') r[j] = Math.round((r[j] as number) / base) * base;
    }
  }
  return out;
}
