// The disclosure ledger: every released cell, keyed on what it measures — the aggregate and the
// catalog fields of its argument, over which tables — and on its group (each dimension's catalog
// fields and value, margins left out), never on column labels. Each entry keeps the number of
// units behind the cell and an order-free fingerprint of the unit set. It is domain-wide: a
// request is compared with the releases of every authorization that draws on the same data.
import type { Cell, MeasureItem } from './cells.ts';
import { publishedCells, unitsOf, type CheckContext, type LedgerCell, type PriorCell } from './checks/context.ts';

function dimFields(ctx: CheckContext, part: number, i: number): string {
  const pos = ctx.measured!.parts[part]!.dims[i]!;
  const inputs = ctx.provenance.query?.lineage?.items[pos]?.inputs ?? [];
  const fields = [...new Set(inputs.map((x) => `${x.table}.${x.column}`))].sort();
  return fields.length > 0 ? fields.join('+') : 'constant';
}

/** A count of rows and a count of the unit are one measure: how many units. */
function measureKey(m: MeasureItem): string {
  const fns = m.fns.map((f) => (f === 'count_star' || f === 'count' ? 'count' : f));
  return `${fns.join('+')}(${fns.every((f) => f === 'count') ? '' : m.argFields.join(',')})`;
}

/** The ledger entries of everything the output publishes (one per cell and measure). */
const computed = new WeakMap<CheckContext, LedgerCell[]>();

export function ledgerCells(ctx: CheckContext): LedgerCell[] {
  // The rule and the request's record both need them: computed once per context.
  const known = computed.get(ctx);
  if (known) return known;
  const cells = computeLedgerCells(ctx);
  computed.set(ctx, cells);
  return cells;
}

/** Each dimension's catalog fields in one part of the measured query ('constant' for none). */
export function partDimFields(ctx: CheckContext, part: number): string[] {
  return ctx.measured!.parts[part]!.dims.map((_, i) => dimFields(ctx, part, i));
}

/** A cell's group as the ledger keys it: each dimension's fields and value, margins and constants left out, in field order. */
export function cellGroup(cell: Cell, fields: readonly string[]): string {
  return JSON.stringify(
    cell.dims
      .map((v, i) => [fields[i]!, cell.rolledUp[i] ? null : v === null || v === undefined ? null : String(v)] as const)
      // Margins and constants say nothing of which units are in the group.
      .filter(([f], i) => !cell.rolledUp[i] && f !== 'constant')
      .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)),
  );
}

function computeLedgerCells(ctx: CheckContext): LedgerCell[] {
  if (!ctx.measured || ctx.measured.error) return [];
  const tables = [...ctx.measured.tables].sort().join(',');
  const seen = new Set<string>();
  const out: LedgerCell[] = [];
  const fields = ctx.measured.parts.map((_, part) => partDimFields(ctx, part));
  for (const { cell, measure } of publishedCells(ctx)) {
    const m = measure.item;
    const key = measureKey(m);
    const group = cellGroup(cell, fields[measure.part]!);
    const dedupe = `${key}\u0001${group}\u0001${cell.part}\u0001${cell.gid}`;
    if (seen.has(dedupe)) continue;
    seen.add(dedupe);
    const fp = m.aggs.map((a) => cell.aggs[a]?.fingerprint ?? '0').join('+');
    out.push({ measure: key, group, tables, units: unitsOf(cell, m), fingerprint: fp, tenant: ctx.tenant });
  }
  return out;
}

export interface Conflicts {
  /** Cells (or margins) whose units differ from a released one's by 0 < d < the threshold. */
  readonly blocks: number;
  readonly smallest: number;
  /** The releases they differ from ("another cell of this output" for two cells of one output). */
  readonly sources: readonly string[];
  /** Same measure, group and size, but another unit set (within one authorization). */
  readonly swapped: readonly string[];
}

/**
 * Compares an output's ledger cells with the released ones: the same measure over the same
 * group, two cells of the output itself, and released margins minus the output's cells under
 * them (a trimmed table under an earlier total). `priorOf(measure)` reads the ledger.
 */
export function ledgerConflicts(mine: readonly LedgerCell[], priorOf: (measure: string) => readonly PriorCell[], min: number, tenant: string): Conflicts {
  const sources = new Set<string>();
  const swapped = new Set<string>();
  let blocks = 0;
  let smallest = Infinity;
  const name = (p: PriorCell) => (p.tenant === tenant ? p.requestId : `${p.requestId} (authorization ${p.tenant})`);
  const differ = (d: number, source: string) => {
    if (!(d > 0 && d < min)) return false;
    blocks++;
    smallest = Math.min(smallest, d);
    sources.add(source);
    return true;
  };
  const byMeasure = new Map<string, Map<string, PriorCell[]>>();
  const prior = (measure: string, group: string) => {
    let m = byMeasure.get(measure);
    if (!m) {
      m = new Map();
      for (const p of priorOf(measure)) m.set(p.group, [...(m.get(p.group) ?? []), p]);
      byMeasure.set(measure, m);
    }
    return m.get(group) ?? [];
  };
  const seen = new Map<string, LedgerCell[]>();
  for (const c of mine) {
    const key = `${c.measure}\u0001${c.group}`;
    for (const other of seen.get(key) ?? []) differ(Math.abs(c.units - other.units), 'another cell of this output');
    seen.set(key, [...(seen.get(key) ?? []), c]);
    for (const old of prior(c.measure, c.group)) {
      if (!differ(Math.abs(c.units - old.units), name(old)) && c.units === old.units && c.tenant === old.tenant && c.fingerprint !== old.fingerprint)
        swapped.add(name(old));
    }
  }
  // A released margin minus this output's cells under it along one more dimension gives back the rest.
  const sums = new Map<string, { measure: string; parent: string; units: number }>();
  for (const c of mine) {
    const g = JSON.parse(c.group) as [string, string | null][];
    g.forEach(([field], i) => {
      const parent = JSON.stringify(g.filter((_, k) => k !== i));
      const key = `${c.measure}\u0001${parent}\u0001${field}`;
      const cur = sums.get(key) ?? { measure: c.measure, parent, units: 0 };
      sums.set(key, { ...cur, units: cur.units + c.units });
    });
  }
  for (const { measure, parent, units } of sums.values()) for (const p of prior(measure, parent)) differ(p.units - units, name(p));
  return { blocks, smallest, sources: [...sources], swapped: [...swapped] };
}
