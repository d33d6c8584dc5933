// The contract every masking operator implements (one operator per file in operators/):
// validate(params) apart from toSql, a declared reversibility and a strength rank.
import type { FieldSpec, FieldType } from '../datasets/index.ts';

export interface SqlContext {
  /** Hex HMAC key for a token scope, derived from the tenant's key. */
  scopeKeyHex(scope: string): string;
}

export interface MaskOperator<P = unknown> {
  readonly name: string;
  /** Whether the original value can be recovered (or linked 1:1) from the output. */
  readonly reversible: boolean;
  /** 0 = identity … 4 = nothing of the value survives. Overrides on protected fields may only raise it. */
  readonly strength: number;
  /** Field types it applies to; 'any' for all. */
  readonly types: readonly FieldType[] | 'any';
  /** Throws OpError(MASK_BAD_PARAMS) on bad params; returns them normalised. */
  validate(params: unknown): P;
  /** A DuckDB SQL expression over `column` (already quoted), or null when the field is dropped. */
  toSql(column: string, params: P, field: FieldSpec, ctx: SqlContext): string | null;
  /** For operators that turn one field into several columns (derive): named expressions. */
  toColumns?(column: string, params: P, field: FieldSpec, ctx: SqlContext): { name: string; expr: string }[];
}
