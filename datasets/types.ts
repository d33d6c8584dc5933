// Types of the public-data catalog: what a dataset and each of its fields are.
import type { UsageLevel } from './usage.ts';

export type FieldType = 'VARCHAR' | 'DATE' | 'INTEGER' | 'BIGINT' | 'DOUBLE' | 'BOOLEAN';
/** 类别: whose data a field is about. */
export type Category = 'personal' | 'sensitive_personal' | 'enterprise' | 'public';
/** 分级 per GB/T 43697-2024: 核心 core, 重要 important, 一般 general. */
export type Grade = 'core' | 'important' | 'general';
/** 开放属性: 无条件开放 open, 有条件开放 conditional, 禁止开放 prohibited. */
export type Openness = 'open' | 'conditional' | 'prohibited';
export type FieldRole = 'direct_identifier' | 'quasi_identifier' | 'sensitive_attribute' | 'other';

/** A masking rule as data: operator name plus parameters (masking/ validates them). */
export interface MaskRule {
  readonly op: string;
  readonly params?: Readonly<Record<string, unknown>>;
}

export interface FieldSpec {
  readonly name: string;
  readonly type: FieldType;
  readonly description: string;
  readonly category: Category;
  readonly grade: Grade;
  readonly openness: Openness;
  readonly role: FieldRole;
  /** Default masking applied when an authorization does not override it. */
  readonly mask: MaskRule;
  /** An import refuses rows where a required field is empty. */
  readonly required?: boolean;
  /** Column usage levels per audience, when the role-based default is not wanted (datasets/usage.ts). */
  readonly usage?: { readonly sandbox?: UsageLevel; readonly export?: UsageLevel };
}

export interface DatasetSpec {
  readonly id: string;
  readonly title: { readonly zh: string; readonly en: string };
  readonly department: string;
  /** The level that owns the data (default province). */
  readonly level?: 'province' | 'city' | 'county';
  readonly updateFrequency: string;
  readonly grade: Grade;
  readonly openness: Openness;
  readonly fields: readonly FieldSpec[];
  /** The field whose (tokenised) value decides the dev sample, so people keep all their rows
   * across datasets; absent = the dataset is not about people and is copied whole to dev. */
  readonly sampleKey?: string;
  /** The unit of privacy a row belongs to (a person by id_card, an enterprise by credit_code):
   * the export gate measures every cell in distinct units, not rows. */
  readonly unit?: { readonly kind: 'person' | 'enterprise'; readonly field: string };
  /** An operator's own dataset (R13): the authorization that imported it; absent for public data. */
  readonly owner?: string;
}
