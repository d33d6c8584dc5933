// What every export rule can look at: the output itself, the job's queries (their SQL and
// column lineage), the contributors behind magnitude cells, the release ledger, the
// thresholds, and a lookup of identifier values of the domain (raw and masked).
import type { OutputColumn } from '../../sandbox/index.ts';

export interface Thresholds {
  /** Minimum persons behind a published count cell. */
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
  minCellCount: 10, kBlock: 5, kReview: 10, maxRowsWithoutReview: 5000, maxBytesWithoutReview: 10_000_000, dominanceN: 2, dominanceK: 0.9, pRatio: 0.1, minResidualDf: 10,
};

/** A magnitude or model column of an aggregate query, with the statistics of its contributors per group. */
export interface Magnitude {
  /** Output column name (the select item's alias). */
  readonly measure: string;
  /** The aggregate: sum, avg, max … or a model function (regr_slope, corr …). */
  readonly fn: string;
  readonly model: boolean;
  /** Output column names of the grouping items, in order. */
  readonly dims: readonly string[];
  /** Group key (dims' values, canonical) → contributor statistics. */
  readonly cells: ReadonlyMap<string, CellStats>;
  /** Set when the contributors could not be read (the rules then ask a reviewer). */
  readonly error?: string;
}

export interface CellStats {
  /** Contributors (rows with a value; for models, rows with both values). */
  readonly n: number;
  /** Sum of absolute values, and the largest contributors in absolute value, largest first. */
  readonly total: number;
  readonly top: readonly number[];
  readonly min: number | null;
  readonly max: number | null;
}

export interface ParsedQuery {
  readonly sql: string;
  /** Tables the query reads. */
  readonly tables: readonly string[];
  /** Output aliases of COUNT-like aggregates in the query's select lists. */
  readonly countAliases: readonly string[];
  readonly aggregates: boolean;
  /** Output column (lower-case) → the catalog roles of the input columns it comes from directly. */
  readonly columnRoles: Readonly<Record<string, readonly string[]>>;
  /** Output column (lower-case) → "table.column" of its inputs by identity, transformation or aggregation (counts excluded). */
  readonly columnFields: Readonly<Record<string, readonly string[]>>;
  /** "table.column" of the columns that filter the rows. */
  readonly filterFields: readonly string[];
  readonly magnitudes: readonly Magnitude[];
}

export interface CheckContext {
  readonly output: { readonly name: string; readonly columns: readonly OutputColumn[]; readonly rows: readonly (readonly unknown[])[] };
  readonly queries: readonly ParsedQuery[];
  readonly thresholds: Thresholds;
  /** For each distinct string value, the identifier field it equals (raw or as masked in the tenant), if any. */
  identifierMatches(values: readonly string[]): Promise<Map<string, string>>;
  /** Earlier releases' count cells on the same measure (and datasets): key → values. */
  priorReleases?(measure: string, tables: string): ReadonlyMap<string, readonly number[]>;
}

export interface Rule {
  readonly id: string;
  check(ctx: CheckContext): Promise<import('../verdict.ts').RuleResult> | import('../verdict.ts').RuleResult;
}

const COUNT_NAME = /^(n|cnt|count|counts|num|people|persons|population|households|records|.*_(n|cnt|count|num))$/i;

/** Count columns of an output: named like the alias of a COUNT aggregate in the job's queries, or by name. */
export function countColumns(ctx: CheckContext): { name: string; j: number }[] {
  const aliases = new Set(ctx.queries.flatMap((q) => q.countAliases.map((a) => a.toLowerCase())));
  return ctx.output.columns
    .map((c, j) => ({ c, j }))
    .filter(({ c }) => (c.type === 'BIGINT' || c.type === 'DOUBLE') && (aliases.has(c.name.toLowerCase()) || COUNT_NAME.test(c.name)))
    .map(({ c, j }) => ({ name: c.name, j }));
}

/** A canonical text for a group's dimension values (DuckDB's and the script's values alike). */
export function groupKey(values: readonly unknown[]): string {
  return JSON.stringify(values.map((v) => (v === null || v === undefined ? null : String(v))));
}

/** Rows of the output matched to a magnitude's groups: [row index, stats]; unmatched groups when the dims are not all output columns. */
export function cellsOf(ctx: CheckContext, m: Magnitude): { row: number | undefined; stats: CellStats }[] {
  const { columns, rows } = ctx.output;
  const dimIdx = m.dims.map((d) => columns.findIndex((c) => c.name.toLowerCase() === d.toLowerCase()));
  if (dimIdx.some((j) => j < 0)) return [...m.cells.values()].map((stats) => ({ row: undefined, stats }));
  const out: { row: number | undefined; stats: CellStats }[] = [];
  rows.forEach((r, i) => {
    const stats = m.cells.get(groupKey(dimIdx.map((j) => r[j])));
    if (stats) out.push({ row: i, stats });
  });
  return out;
}

/** The magnitudes whose measure is a column of the output. */
export function outputMagnitudes(ctx: CheckContext, model: boolean): Magnitude[] {
  const names = new Set(ctx.output.columns.map((c) => c.name.toLowerCase()));
  return ctx.queries.flatMap((q) => q.magnitudes).filter((m) => m.model === model && names.has(m.measure.toLowerCase()));
}
