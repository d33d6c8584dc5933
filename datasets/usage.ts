// Column usage levels (after SecretFlow SCQL's column control list): per field and per
// audience, what a column may be used for and when its values may be revealed. The catalog
// gives the defaults; an authorization may only tighten them (a level allowing a subset of the
// uses); the SQL gate and the export check propagate them through every query.
import type { FieldSpec } from './types.ts';

export const USAGE_LEVELS = ['plaintext', 'join_key', 'group_by', 'compare', 'aggregate', 'encrypted'] as const;
/**
 * plaintext: any use. join_key: equality joins and counts. group_by: a GROUP BY key, revealed
 * as the key of its group. compare: the result of a comparison may be revealed. aggregate: the
 * result of a summarising aggregate may be revealed. encrypted: joins and filters, never shown.
 */
export type UsageLevel = (typeof USAGE_LEVELS)[number];
/** Who receives a result: the operator's script in the sandbox, or whoever gets an export. */
export type UsageAudience = 'sandbox' | 'export';
export const USAGE_AUDIENCES: readonly UsageAudience[] = ['sandbox', 'export'];

export type FieldUsage = Readonly<Record<UsageAudience, UsageLevel>>;

type Use = 'reveal' | 'join' | 'group' | 'compare' | 'aggregate' | 'filter' | 'count';
const USES: Readonly<Record<UsageLevel, ReadonlySet<Use>>> = {
  plaintext: new Set(['reveal', 'join', 'group', 'compare', 'aggregate', 'filter', 'count']),
  join_key: new Set(['join', 'count']),
  group_by: new Set(['group', 'count']),
  compare: new Set(['compare', 'filter', 'count']),
  aggregate: new Set(['aggregate', 'count']),
  encrypted: new Set(['join', 'filter', 'count']),
};

export function isUsageLevel(x: unknown): x is UsageLevel {
  return typeof x === 'string' && (USAGE_LEVELS as readonly string[]).includes(x);
}

/** `to` is at least as tight as `from`: every use it allows, `from` allowed too. */
export function isTightening(from: UsageLevel, to: UsageLevel): boolean {
  return [...USES[to]].every((u) => USES[from].has(u));
}

const NUMERIC = new Set(['INTEGER', 'BIGINT', 'DOUBLE']);

/**
 * The catalog's default for a field: identifier tokens join only; other identifiers (masked
 * names, phones, addresses) are never shown; sensitive magnitudes only aggregated, sensitive
 * categories only grouped; the rest plaintext. An explicit `usage` in the entry wins.
 */
export function defaultUsage(field: Pick<FieldSpec, 'role' | 'type' | 'mask'> & { readonly usage?: Partial<FieldUsage> | undefined }): FieldUsage {
  let level: UsageLevel = 'plaintext';
  if (field.role === 'direct_identifier') level = field.mask.op === 'token' ? 'join_key' : 'encrypted';
  else if (field.role === 'sensitive_attribute') level = NUMERIC.has(field.type) ? 'aggregate' : 'group_by';
  return { sandbox: field.usage?.sandbox ?? level, export: field.usage?.export ?? field.usage?.sandbox ?? level };
}

/** The text a tenant file keeps as a column's comment, read back by the sandbox (`unit`: the column is the table's unit of privacy). */
export function usageComment(u: FieldUsage, unit = false): string {
  return `opdomain:usage sandbox=${u.sandbox} export=${u.export}${unit ? ' unit' : ''}`;
}

export function parseUsageComment(comment: unknown): (FieldUsage & { readonly unit: boolean }) | undefined {
  const m = /^opdomain:usage sandbox=([a-z_]+) export=([a-z_]+)( unit)?$/.exec(String(comment ?? ''));
  if (!m || !isUsageLevel(m[1]) || !isUsageLevel(m[2])) return undefined;
  return { sandbox: m[1], export: m[2], unit: !!m[3] };
}
