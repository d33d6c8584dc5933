// The disclosure ledger: every released cell, keyed on what it measures — the aggregate and the
// catalog fields of its argument, over which tables — and on its group (each dimension's catalog
// fields and value, margins left out), never on column labels. Each entry keeps the number of
// units behind the cell and an order-free fingerprint of the unit set. It is domain-wide: a
// request is compared with the releases of every authorization that draws on the same data.
import type { MeasureItem } from './cells.ts';
import { publishedCells, unitsOf, type CheckContext, type LedgerCell } from './checks/context.ts';

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
export function ledgerCells(ctx: CheckContext): LedgerCell[] {
  if (!ctx.measured || ctx.measured.error) return [];
  const tables = [...ctx.measured.tables].sort().join(',');
  const seen = new Set<string>();
  const out: LedgerCell[] = [];
  for (const { cell, measure } of publishedCells(ctx)) {
    const m = measure.item;
    const key = measureKey(m);
    const group = JSON.stringify(
      cell.dims
        .map((v, i) => [dimFields(ctx, measure.part, i), cell.rolledUp[i] ? null : v === null || v === undefined ? null : String(v)] as const)
        // Margins and constants say nothing of which units are in the group.
        .filter(([f], i) => !cell.rolledUp[i] && f !== 'constant')
        .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)),
    );
    const dedupe = `${key}\u0001${group}\u0001${cell.part}\u0001${cell.gid}`;
    if (seen.has(dedupe)) continue;
    seen.add(dedupe);
    const fp = m.aggs.map((a) => cell.aggs[a]?.fingerprint ?? '0').join('+');
    out.push({ measure: key, group, tables, units: unitsOf(cell, m), fingerprint: fp, tenant: ctx.tenant });
  }
  return out;
}
