// What every export rule can look at: the output itself, where each of its columns came from
// (tied by content to a query result, or script-derived), the cells the check measured from the
// data per unit of privacy, the disclosure ledger, the thresholds, and a lookup of identifier
// values of the domain (raw and masked). Rules decide on these numbers only, never on the
// output's own numbers or names.
import type { OutputColumn, ResultLevel } from '../../sandbox/index.ts';
import type { Cell, MeasuredQuery, MeasureItem } from '../cells.ts';
import type { Provenance, QueryResult } from '../provenance.ts';

export interface Thresholds {
  /** Minimum units of privacy behind a published cell (counts and magnitudes alike). */
  readonly minCellCount: number;
  /** Record-level outputs: smallest group over the quasi-identifiers that blocks / needs review. */
  readonly kBlock: number;
  readonly kReview: number;
  /** Rows above which a file needs review. */
  readonly maxRowsWithoutReview: number;
  /** Size (bytes as CSV, about) above which a file needs review. */
  readonly maxBytesWithoutReview: number;
  /** Dominance (n, k): the n largest contributors may not make up more than k of a cell's total. */
  readonly dominanceN: number;
  readonly dominanceK: number;
  /** p-ratio: what remains after the two largest contributors must be at least p of the largest. */
  readonly pRatio: number;
  /** Models: residual degrees of freedom at least this. */
  readonly minResidualDf: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = {
  minCellCount: 10,
  kBlock: 5,
  kReview: 10,
  maxRowsWithoutReview: 5000,
  maxBytesWithoutReview: 10_000_000,
  dominanceN: 2,
  dominanceK: 0.9,
  pRatio: 0.1,
  minResidualDf: 10,
};

/** A released cell of the ledger: what it measures, over which group, and its unit set. */
export interface LedgerCell {
  readonly measure: string;
  readonly group: string;
  readonly tables: string;
  readonly units: number;
  readonly fingerprint: string;
  readonly tenant: string;
}

export interface PriorCell extends LedgerCell {
  readonly requestId: string;
}

/** An output column that publishes a measure of the measured query. */
export interface ColumnMeasure {
  readonly part: number;
  readonly item: MeasureItem;
}

/** The output seen through the measured cells. */
export interface CellView {
  /** Per output column: the measures it publishes (one per part of the query). */
  readonly measures: readonly (readonly ColumnMeasure[])[];
  /** Output columns that are dimensions of the query (group values). */
  readonly dimColumns: ReadonlySet<number>;
  /** Per output row, per part: the cells it may be (one when every dimension is published). */
  readonly rowCells: readonly (readonly (readonly Cell[])[])[];
  /** Cells of the full grid that the output does not publish (trimmed, dropped or suppressed). */
  readonly withheld: readonly Cell[];
}

export interface CheckContext {
  readonly output: { readonly name: string; readonly columns: readonly OutputColumn[]; readonly rows: readonly (readonly unknown[])[] };
  readonly thresholds: Thresholds;
  readonly provenance: Provenance;
  /** Set for aggregate outputs: the cells measured from the data (with `error` when they could not be). */
  readonly measured: MeasuredQuery | null;
  readonly view: CellView;
  /** For each distinct string value, the identifier field it equals (raw or as masked in the tenant), if any. */
  identifierMatches(values: readonly string[]): Promise<Map<string, string>>;
  /** Earlier releases (every authorization) of the same measure, every group. */
  priorCells?(measure: string): readonly PriorCell[];
  /** The authorization the output belongs to. */
  readonly tenant: string;
  /** The one-step fix changed the output: a reviewer must confirm it. */
  readonly mitigated?: boolean;
  /** The DP releases the job was charged for (rows as dp.* returned them). */
  readonly dpReleases?: readonly { readonly epsilon: number; readonly delta: number; readonly rows: readonly (readonly (string | number)[])[] }[];
  /** Result-column usage levels of a re-run query for the export audience (from the tenant file's levels). */
  exportLevels(query: QueryResult): readonly ResultLevel[];
}

export interface Rule {
  readonly id: string;
  check(ctx: CheckContext): Promise<import('../verdict.ts').RuleResult> | import('../verdict.ts').RuleResult;
}

/** A canonical text for a group's dimension values. */
export function groupKey(values: readonly unknown[]): string {
  return JSON.stringify(values.map((v) => (v === null || v === undefined ? null : String(v))));
}

/** Units behind one measure in one cell: the aggregate's own units, and every unit source of the cell. */
export function unitsOf(cell: Cell, item: MeasureItem): number {
  const own = item.aggs.map((a) => cell.aggs[a]?.units ?? 0);
  return Math.min(...own, ...cell.units);
}

/** Every (row, column, cell, measure) the output publishes: a non-null value in a measure column. */
export function* publishedCells(ctx: CheckContext): Generator<{ row: number; column: number; cell: Cell; measure: ColumnMeasure }> {
  const { rows } = ctx.output;
  for (let i = 0; i < rows.length; i++) {
    for (let j = 0; j < ctx.view.measures.length; j++) {
      if (rows[i]![j] === null || rows[i]![j] === undefined) continue;
      for (const m of ctx.view.measures[j]!) for (const cell of ctx.view.rowCells[i]?.[m.part] ?? []) yield { row: i, column: j, cell, measure: m };
    }
  }
}

/** Output columns whose values are aggregates but that no measured cell accounts for. */
export function unmeasuredColumns(ctx: CheckContext): string[] {
  if (!ctx.measured) return [];
  const record = ctx.provenance.shape === 'record';
  const items = ctx.provenance.query?.lineage?.items ?? [];
  return ctx.output.columns
    .filter((_, j) => {
      const p = ctx.provenance.columns[j]!;
      // A group value computed by an aggregating subquery is an aggregate nobody measured.
      if (ctx.view.dimColumns.has(j)) return !!p.source && !!items[p.source.column]?.subquery && !!items[p.source.column]?.aggregate;
      if ((ctx.view.measures[j]?.length ?? 0) > 0) return false;
      // Beside records, a script-derived column is the record rules' (k-anonymity, provenance).
      if (!p.source) return !record;
      return !!items[p.source.column]?.aggregate || p.inputs.some((i) => i.subtype === 'AGGREGATION') || p.unknown;
    })
    .map((c) => c.name);
}

/** Collects cells for a rule's result, at most 20. */
export class CellList {
  readonly cells: { row?: number; column: string }[] = [];
  private readonly seen = new Set<string>();
  get count(): number {
    return this.seen.size;
  }
  add(row: number | undefined, column: string): void {
    const key = `${row ?? ''}:${column}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    if (this.cells.length < 20) this.cells.push({ ...(row !== undefined ? { row } : {}), column });
  }
}
