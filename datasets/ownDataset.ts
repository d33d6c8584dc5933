// An operator's own dataset (R13, §5(四)3): declared by the operator (fields with types,
// category, grade, which fields identify a person or an enterprise, the lawful basis and, for
// personal data, the consent reference), profiled from the file itself, and turned into a
// catalog entry of that authorization only. Identifying fields are tokenized at load with the
// authorization's key and scope, so they join the public data's tokens and nothing else.
import type { DuckDBConnection } from '@duckdb/node-api';
import { OpError } from '../errors/index.ts';
import { creditCodeCheckSql, residentIdCheckSql } from './sqlExpr.ts';
import type { Category, DatasetSpec, FieldRole, FieldSpec, FieldType, Grade, MaskRule } from './types.ts';

export const LAWFUL_BASES = ['consent', 'contract', 'legal_duty', 'public_interest', 'publicly_disclosed'] as const;
export type LawfulBasis = (typeof LAWFUL_BASES)[number];

export interface OwnField {
  readonly name: string;
  readonly type: FieldType;
  readonly description?: string;
  readonly category: Category;
  readonly grade: Grade;
  readonly role: FieldRole;
  /** The field identifies a person (a resident ID) or an enterprise (a credit code): tokenized, joinable. */
  readonly identifies?: 'person' | 'enterprise';
  readonly required?: boolean;
}

export interface OwnDeclaration {
  readonly name: string;
  readonly title: string;
  readonly fields: readonly OwnField[];
  readonly lawfulBasis: LawfulBasis;
  /** For personal data: the reference of the specific consent (R21). */
  readonly consentRef?: string;
}

const TYPES: readonly FieldType[] = ['VARCHAR', 'DATE', 'INTEGER', 'BIGINT', 'DOUBLE', 'BOOLEAN'];
const CATEGORIES: readonly Category[] = ['personal', 'sensitive_personal', 'enterprise', 'public'];
const GRADES: readonly Grade[] = ['important', 'general'];
const ROLES: readonly FieldRole[] = ['direct_identifier', 'quasi_identifier', 'sensitive_attribute', 'other'];
const NAME = /^[a-z][a-z0-9_]{0,40}$/;

const bad = (msg: string) => new OpError('BAD_REQUEST', msg);
function oneOf<T extends string>(v: unknown, allowed: readonly T[], what: string): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) throw bad(`${what} must be one of ${allowed.join(', ')}`);
  return v as T;
}

function parseField(f: unknown, i: number): OwnField {
  if (!f || typeof f !== 'object') throw bad(`fields[${i}] must be an object`);
  const o = f as Record<string, unknown>;
  if (typeof o.name !== 'string' || !NAME.test(o.name)) throw bad(`fields[${i}].name must match ${NAME.source}`);
  const w = `fields[${i}] (${o.name})`;
  if (o.grade === 'core') throw new OpError('DATASET_NOT_GRANTABLE', `${w}: core-graded data cannot be brought into a domain`);
  const field: OwnField = {
    name: o.name,
    type: oneOf(o.type, TYPES, `${w}.type`),
    category: oneOf(o.category, CATEGORIES, `${w}.category`),
    grade: oneOf(o.grade, GRADES, `${w}.grade`),
    role: oneOf(o.role, ROLES, `${w}.role`),
    ...(o.description !== undefined ? { description: String(o.description).slice(0, 500) } : {}),
    ...(o.identifies !== undefined ? { identifies: oneOf(o.identifies, ['person', 'enterprise'] as const, `${w}.identifies`) } : {}),
    ...(o.required !== undefined ? { required: o.required === true } : {}),
  };
  if (field.identifies && (field.role !== 'direct_identifier' || field.type !== 'VARCHAR'))
    throw bad(`${w}: a field that identifies a ${field.identifies} is a VARCHAR direct_identifier`);
  return field;
}

export function parseDeclaration(input: unknown): OwnDeclaration {
  if (!input || typeof input !== 'object') throw bad('the declaration must be an object');
  const o = input as Record<string, unknown>;
  if (typeof o.name !== 'string' || !NAME.test(o.name)) throw bad(`name must match ${NAME.source}`);
  if (typeof o.title !== 'string' || o.title.trim() === '' || o.title.length > 200) throw bad('title must be a non-empty string of at most 200 characters');
  if (!Array.isArray(o.fields) || o.fields.length === 0 || o.fields.length > 200) throw bad('fields must list 1 to 200 fields');
  const fields = o.fields.map(parseField);
  const dup = fields.find((f, i) => fields.findIndex((g) => g.name === f.name) !== i);
  if (dup) throw bad(`field "${dup.name}" appears twice`);
  const lawfulBasis = oneOf(o.lawfulBasis, LAWFUL_BASES, 'lawfulBasis');
  const personal = fields.some((f) => f.category === 'personal' || f.category === 'sensitive_personal');
  const consentRef = typeof o.consentRef === 'string' && o.consentRef.trim() !== '' ? o.consentRef.trim().slice(0, 200) : undefined;
  // R21: personal information only masked or with specific consent; consent as the basis needs its reference.
  if (personal && lawfulBasis === 'consent' && !consentRef) throw bad('personal data on the basis of consent needs consentRef (the specific consent)');
  return { name: o.name, title: o.title.trim(), fields, lawfulBasis, ...(consentRef ? { consentRef } : {}) };
}

export function ownDatasetId(tenant: string, name: string): string {
  return `own_${tenant.toLowerCase().replace(/[^a-z0-9]+/g, '_')}_${name}`;
}

function maskOf(f: OwnField): MaskRule {
  if (f.identifies) return { op: 'token', params: { scope: f.identifies } };
  // A direct identifier that joins nothing (a name, a phone) has no use here: it is not loaded.
  if (f.role === 'direct_identifier') return { op: 'drop' };
  return { op: 'keep' };
}

/** The catalog entry of an own dataset, for that authorization only. */
export function ownDatasetSpec(tenant: string, d: OwnDeclaration): DatasetSpec {
  const fields: FieldSpec[] = d.fields.map((f) => ({
    name: f.name,
    type: f.type,
    description: f.description ?? f.name,
    category: f.category,
    grade: f.grade,
    openness: 'conditional',
    role: f.role,
    mask: maskOf(f),
    ...(f.required ? { required: true } : {}),
  }));
  const person = d.fields.find((f) => f.identifies === 'person');
  const enterprise = d.fields.find((f) => f.identifies === 'enterprise');
  const unit = person ? { kind: 'person' as const, field: person.name } : enterprise ? { kind: 'enterprise' as const, field: enterprise.name } : undefined;
  return {
    id: ownDatasetId(tenant, d.name),
    title: { zh: d.title, en: d.title },
    department: `own data of ${tenant}`,
    updateFrequency: 'irregular',
    grade: fields.some((f) => f.grade === 'important') ? 'important' : 'general',
    openness: 'conditional',
    fields,
    owner: tenant,
    ...(unit ? { unit } : {}),
    ...(person ? { sampleKey: person.name } : {}),
  };
}

export interface ColumnProfile {
  readonly column: string;
  readonly nulls: number;
  readonly nullRate: number;
  readonly distinct: number;
  /** Values that are valid resident ID numbers, mobile numbers, unified credit codes. */
  readonly patterns: { readonly residentId: number; readonly mobile: number; readonly creditCode: number };
  /** Declared as not identifying, yet holds identifiers: the import is refused. */
  readonly flagged?: string;
}

export interface FileProfile {
  readonly rows: number;
  readonly columns: readonly ColumnProfile[];
}

const q = (n: string) => `"${n.replaceAll('"', '""')}"`;

/** Profiles the staged table `src` (every column as text) from the data itself, in one scan. */
export async function profileFile(con: DuckDBConnection, spec: DatasetSpec, rows: number): Promise<FileProfile> {
  // The cheap shape test first; the check character only on what has the shape (CASE is lazy).
  const checked = (c: string, shape: string, check: (v: string) => string) =>
    `count(*) FILTER (WHERE CASE WHEN regexp_full_match(${c}, '${shape}') THEN ${check(c)} = upper(substr(${c}, 18, 1)) ELSE false END)::BIGINT`;
  const shaped = (c: string, shape: string) => `count(*) FILTER (WHERE regexp_full_match(${c}, '${shape}'))::BIGINT`;
  const ID = '[0-9]{17}[0-9Xx]';
  const CC = '[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{18}';
  // A declared identifier's other kind is counted by shape only: the check characters are what
  // tell a hidden identifier in a column declared otherwise, and there they are computed in full.
  const parts = spec.fields.map((f, i) => {
    const c = q(f.name);
    const declared = f.role === 'direct_identifier';
    const person = (spec.unit?.kind === 'person' && spec.unit.field === f.name) || !declared;
    const enterprise = (spec.unit?.kind === 'enterprise' && spec.unit.field === f.name) || !declared;
    return [
      `count(*) FILTER (WHERE ${c} IS NULL OR ${c} = '')::BIGINT AS n${i}`,
      `approx_count_distinct(${c})::BIGINT AS d${i}`,
      `${person ? checked(c, ID, (v) => residentIdCheckSql(`substr(${v}, 1, 17)`)) : shaped(c, ID)} AS r${i}`,
      `${shaped(c, '1[3-9][0-9]{9}')} AS m${i}`,
      `${enterprise ? checked(c, CC, (v) => creditCodeCheckSql(`upper(substr(${v}, 1, 17))`)) : shaped(c, CC)} AS c${i}`,
    ].join(', ');
  });
  // Trimmed once (the load trims too, so padding cannot hide an identifier from the profile).
  const trimmed = spec.fields.map((f) => `trim(${q(f.name)}) AS ${q(f.name)}`).join(', ');
  const r = (await con.runAndReadAll(`SELECT ${parts.join(', ')} FROM (SELECT ${trimmed} FROM src)`)).getRowObjectsJS()[0]!;
  const columns: ColumnProfile[] = spec.fields.map((f, i) => {
    const patterns = { residentId: Number(r[`r${i}`]), mobile: Number(r[`m${i}`]), creditCode: Number(r[`c${i}`]) };
    const nulls = Number(r[`n${i}`]);
    const filled = Math.max(1, rows - nulls);
    const found = [
      patterns.residentId > 0 ? `${patterns.residentId} resident ID numbers` : '',
      patterns.mobile > 0 && patterns.mobile / filled >= 0.01 ? `${patterns.mobile} mobile numbers` : '',
      patterns.creditCode > 0 ? `${patterns.creditCode} credit codes` : '',
    ].filter(Boolean);
    const flagged = f.role !== 'direct_identifier' && found.length > 0 ? `declared ${f.role}, but holds ${found.join(', ')}` : undefined;
    return { column: f.name, nulls, nullRate: rows === 0 ? 0 : nulls / rows, distinct: Number(r[`d${i}`]), patterns, ...(flagged ? { flagged } : {}) };
  });
  return { rows, columns };
}
