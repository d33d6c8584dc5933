// Call-time disclosure control, on the cells the domain measured itself (never on the numbers
// the template returns): a row is withheld when any value it publishes rests on fewer units of
// privacy than the product's minimum (and the authorization's), or is dominated by a few units;
// when a row is withheld, the margins that would give it back by subtraction are withheld too;
// what remains is capped and rounded. The unit counts themselves never leave.
import {
  BLOCKING_DOMINANCE,
  cellGroup,
  cellKey,
  dominanceOf,
  kindOf,
  partDimFields,
  type Alignment,
  type CallMeasure,
  ledgerCells,
  publishedCells,
  unitsOf,
  unmeasuredColumns,
  withRows,
  type CheckContext,
  type LedgerCell,
} from '../exports/index.ts';
import { OpError } from '../errors/index.ts';
import type { CallControls } from './spec.ts';

export interface Controlled {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly unknown[])[];
  /** Rows withheld: small or dominated cells, margins over them, rows over the cap. */
  readonly suppressed: number;
  /** Ledger entries of what is returned (before rounding; units measured). */
  readonly ledger: readonly LedgerCell[];
}

function round(v: unknown, base: number): unknown {
  if (base <= 1 || typeof v !== 'number' || !Number.isFinite(v)) return v;
  return Math.round(v / base) * base;
}

/**
 * What withholds a row at call time: what blocks an export, and what an export sends to a
 * reviewer because dominance cannot be decided (negative contributions) — no reviewer sees a call.
 * A quantile stays: reviewers approved the template knowing it publishes one.
 */
const CALL_BLOCKING: ReadonlySet<string> = new Set([...BLOCKING_DOMINANCE, 'negative']);

/** Rows to withhold: any published value small or dominated, or a row no measured cell explains. */
function unsafeRows(ctx: CheckContext, min: number): Set<number> {
  const unsafe = new Set<number>();
  const explained = new Set<number>();
  for (const { row, cell, measure } of publishedCells(ctx)) {
    explained.add(row);
    if (unitsOf(cell, measure.item) < min) unsafe.add(row);
    for (const a of measure.item.aggs) {
      const stats = cell.aggs[a];
      if (stats && dominanceOf(stats, kindOf([stats.fn]), ctx.thresholds).some((f) => CALL_BLOCKING.has(f))) unsafe.add(row);
    }
  }
  ctx.output.rows.forEach((_, i) => {
    if (!explained.has(i)) unsafe.add(i);
  });
  return unsafe;
}

/** Rows whose cells are margins (a ROLLUP, CUBE or GROUPING SETS total). */
function marginRows(ctx: CheckContext): Set<number> {
  const out = new Set<number>();
  ctx.view.rowCells.forEach((parts, i) => {
    if (parts.some((cells) => cells.some((c) => c.rolledUp.some(Boolean)))) out.add(i);
  });
  return out;
}

/** The controlled answer, and which rows of the query's result it keeps (in order). */
export function controlRows(ctx: CheckContext, controls: CallControls): Controlled & { readonly kept: readonly number[] } {
  if (!ctx.measured) throw new OpError('PRODUCT_UNMEASURED', 'the product returned record-level rows: products publish aggregates only');
  if (ctx.measured.error) throw new OpError('PRODUCT_UNMEASURED', `the call's cells could not be measured (${ctx.measured.error}); nothing is returned`);
  const unmeasured = unmeasuredColumns(ctx);
  if (unmeasured.length > 0) throw new OpError('PRODUCT_UNMEASURED', `columns no measured cell accounts for: ${unmeasured.join(', ')}`);
  const min = Math.max(controls.minUnits, ctx.thresholds.minCellCount);
  const unsafe = unsafeRows(ctx, min);
  // A withheld cell under a published margin is the margin minus its siblings.
  if (unsafe.size > 0) for (const i of marginRows(ctx)) unsafe.add(i);
  const kept = ctx.output.rows
    .map((_, i) => i)
    .filter((i) => !unsafe.has(i))
    .slice(0, controls.rowCap);
  const rows = kept.map((i) => ctx.output.rows[i]!);
  const after = withRows(ctx, rows, false);
  const measureColumns = new Set(after.view.measures.flatMap((m, j) => (m.length > 0 ? [j] : [])));
  return {
    columns: ctx.output.columns.map((c) => c.name),
    rows: rows.map((r) => r.map((v, j) => (measureColumns.has(j) ? round(v, controls.roundTo) : v))),
    suppressed: ctx.output.rows.length - rows.length,
    ledger: ledgerCells(after),
    kept,
  };
}

/**
 * The cells the kept rows publish, keyed with their dimensions in the aligned order, each with
 * its group as the ledger names it (to compare two answers unit by unit, and to know that the
 * cells the ledger flagged are among those compared).
 */
export function publishedCellKeys(ctx: CheckContext, kept: readonly number[], order: readonly (readonly number[])[]): Map<string, string> {
  const fields = ctx.measured!.parts.map((_, part) => partDimFields(ctx, part));
  const keys = new Map<string, string>();
  for (const i of kept)
    for (const cells of ctx.view.rowCells[i] ?? [])
      for (const c of cells)
        keys.set(
          cellKey(
            c.part,
            c.gid,
            order[c.part]!.map((d) => c.dims[d]),
          ),
          cellGroup(c, fields[c.part]!),
        );
  return keys;
}

/**
 * How two measured answers' cells line up, or null when they cannot be compared cell for cell:
 * one query under two bindings lines up as it is; two queries line up only as one part each
 * whose dimensions are the same catalog fields (in any order), each field once, and not both
 * with grouping sets (an ungrouped query's cells meet the grouped one's full-detail cells only).
 */
export function alignCells(a: CallMeasure, b: CallMeasure): Alignment | null {
  const sa = a.measured?.stages;
  const sb = b.measured?.stages;
  if (!sa || !sb || sa.length !== sb.length) return null;
  if (sa.every((p, i) => p.sql === sb[i]!.sql)) {
    const identity = sa.map((p) => Array.from({ length: p.dims }, (_, i) => i));
    return { a: identity, b: identity };
  }
  if (sa.length !== 1 || (sa[0]!.grouped && sb[0]!.grouped)) return null;
  const fa = partDimFields(a.ctx, 0);
  const fb = partDimFields(b.ctx, 0);
  const named = (f: string[]) => !f.includes('constant') && new Set(f).size === f.length;
  if (!named(fa) || !named(fb) || fa.length !== fb.length) return null;
  const canonical = [...fa].sort();
  if (canonical.some((f) => !fb.includes(f))) return null;
  return { a: [canonical.map((f) => fa.indexOf(f))], b: [canonical.map((f) => fb.indexOf(f))] };
}
