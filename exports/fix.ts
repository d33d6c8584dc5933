// The one-step fix an operator can ask for with a request: suppress the cells the rules object
// to (small counts, dominated magnitudes → empty) and/or round counts to a base. What was
// changed is returned — and recorded with the request — so suppression is never silent.
import { OpError } from '../errors/index.ts';
import { VALUE_CARRYING_FUNCTIONS } from '../sandbox/index.ts';
import { cellsOf, countColumns, outputMagnitudes, type CheckContext } from './checks/index.ts';

export interface FixSpec {
  /** Empty the cells of counts under the threshold and of dominated magnitudes. */
  readonly suppress?: boolean;
  /** Round every count cell to a multiple of this base (2–100). */
  readonly roundTo?: number;
}

export interface FixRecord {
  /** What was asked for (a revision without a new fix applies it again). */
  readonly spec: FixSpec;
  readonly suppressed: readonly { row: number; column: string; reason: string }[];
  readonly rounded: { readonly base: number; readonly columns: readonly string[]; readonly cells: number } | null;
}

export function parseFix(input: unknown): FixSpec | undefined {
  if (input === undefined || input === null) return undefined;
  if (typeof input !== 'object' || Array.isArray(input)) throw new OpError('BAD_REQUEST', 'fix must be an object { suppress?, roundTo? }');
  const { suppress, roundTo, ...rest } = input as Record<string, unknown>;
  if (Object.keys(rest).length > 0) throw new OpError('BAD_REQUEST', 'fix takes only suppress and roundTo');
  if (suppress !== undefined && typeof suppress !== 'boolean') throw new OpError('BAD_REQUEST', 'fix.suppress must be true or false');
  if (roundTo !== undefined && (typeof roundTo !== 'number' || !Number.isInteger(roundTo) || roundTo < 2 || roundTo > 100)) throw new OpError('BAD_REQUEST', 'fix.roundTo must be an integer from 2 to 100');
  if (!suppress && roundTo === undefined) return undefined;
  return { ...(suppress ? { suppress: true } : {}), ...(roundTo !== undefined ? { roundTo } : {}) };
}

/** Applies the fix to a copy of the rows; the check then runs again on what will be released. */
export function applyFix(ctx: CheckContext, fix: FixSpec): { rows: unknown[][]; record: FixRecord } {
  const rows = ctx.output.rows.map((r) => [...r]);
  const suppressed: { row: number; column: string; reason: string }[] = [];
  const counts = countColumns(ctx);
  const t = ctx.thresholds;
  if (fix.suppress) {
    for (const { name, j } of counts) {
      rows.forEach((r, i) => {
        const v = r[j];
        if (typeof v === 'number' && v > 0 && v < t.minCellCount) {
          r[j] = null;
          suppressed.push({ row: i, column: name, reason: `count under ${t.minCellCount}` });
        }
      });
    }
    for (const m of outputMagnitudes(ctx, false)) {
      const j = ctx.output.columns.findIndex((c) => c.name.toLowerCase() === m.measure.toLowerCase());
      for (const { row, stats } of cellsOf(ctx, m)) {
        if (row === undefined || stats.total <= 0 || VALUE_CARRYING_FUNCTIONS.has(m.fn)) continue;
        const [t1 = 0, t2 = 0] = stats.top;
        const topN = stats.top.slice(0, t.dominanceN).reduce((a, b) => a + b, 0);
        if ((topN > t.dominanceK * stats.total || stats.total - t1 - t2 < t.pRatio * t1) && rows[row]![j] !== null) {
          rows[row]![j] = null;
          suppressed.push({ row, column: m.measure, reason: 'dominated by few contributors' });
        }
      }
    }
  }
  let rounded: FixRecord['rounded'] = null;
  if (fix.roundTo) {
    const base = fix.roundTo;
    let cells = 0;
    for (const { j } of counts) {
      for (const r of rows) {
        const v = r[j];
        if (typeof v === 'number') {
          const to = Math.round(v / base) * base;
          if (to !== v) cells++;
          r[j] = to;
        }
      }
    }
    rounded = { base, columns: counts.map((c) => c.name), cells };
  }
  return { rows, record: { spec: fix, suppressed, rounded } };
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
