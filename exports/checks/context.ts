// What every export rule can look at: the output itself, the job's queries (their SQL, for
// lineage), the thresholds, and a lookup of identifier values of the domain (raw and masked).
import type { OutputColumn } from '../../sandbox/index.ts';

export interface Thresholds {
  /** Minimum persons behind a published count cell. */
  readonly minCellCount: number;
  /** Record-level outputs: smallest group over the quasi-identifiers that blocks / needs review. */
  readonly kBlock: number;
  readonly kReview: number;
  /** Rows above which a file needs review. */
  readonly maxRowsWithoutReview: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = { minCellCount: 10, kBlock: 5, kReview: 10, maxRowsWithoutReview: 5000 };

export interface ParsedQuery {
  readonly sql: string;
  /** Output aliases of COUNT-like aggregates in the query's select lists. */
  readonly countAliases: readonly string[];
  readonly aggregates: boolean;
  /** Output column (lower-case) → the catalog roles of the input columns it comes from directly. */
  readonly columnRoles: Readonly<Record<string, readonly string[]>>;
}

export interface CheckContext {
  readonly output: { readonly name: string; readonly columns: readonly OutputColumn[]; readonly rows: readonly (readonly unknown[])[] };
  readonly queries: readonly ParsedQuery[];
  readonly thresholds: Thresholds;
  /** For each distinct string value, the identifier field it equals (raw or as masked in the tenant), if any. */
  identifierMatches(values: readonly string[]): Promise<Map<string, string>>;
}

export interface Rule {
  readonly id: string;
  check(ctx: CheckContext): Promise<import('../verdict.ts').RuleResult> | import('../verdict.ts').RuleResult;
}
