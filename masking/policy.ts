// A tenant's masking policy: the granted fields of each dataset with their operator, resolved
// from catalog defaults and the authorization's overrides, validated, and compiled to SQL.
// Default deny: a field that is not granted has no policy and is not loaded.
import { createHash } from 'node:crypto';
import {
  defaultUsage,
  findDataset,
  isGrantable,
  isProtectedField,
  isTightening,
  isUsageLevel,
  USAGE_AUDIENCES,
  type DatasetSpec,
  type FieldSpec,
  type FieldUsage,
  type MaskRule,
  type UsageLevel,
} from '../datasets/index.ts';
import { OpError } from '../errors/index.ts';
import type { MaskOperator, SqlContext } from './operator.ts';
import { OPERATORS } from './operators/index.ts';

export interface Grant {
  readonly dataset: string;
  /** Granted fields; omitted = every grantable field of the dataset. */
  readonly fields?: readonly string[];
}

/** Overrides keyed "dataset.field". */
export type MaskOverrides = Readonly<Record<string, MaskRule>>;
/** Usage levels an authorization sets, keyed "dataset.field": only ever tighter than the catalog's. */
export type UsageOverrides = Readonly<Record<string, { readonly sandbox?: UsageLevel; readonly export?: UsageLevel }>>;

export interface FieldPolicy {
  readonly field: FieldSpec;
  // biome-ignore lint/suspicious/noExplicitAny: the operator's parameters were validated into `params`
  readonly op: MaskOperator<any>;
  readonly params: unknown;
  /** Column usage levels per audience (catalog default, tightened by the authorization). */
  readonly usage: FieldUsage;
}

export interface DatasetPolicy {
  readonly dataset: string;
  readonly fields: readonly FieldPolicy[];
}

export interface TenantPolicy {
  readonly datasets: readonly DatasetPolicy[];
  /** sha256 of the canonical policy text: recorded with every build and in lineage. */
  readonly hash: string;
}

// biome-ignore lint/suspicious/noExplicitAny: callers validate parameters with the operator itself
export function operatorFor(name: string): MaskOperator<any> {
  const op = OPERATORS.get(name);
  if (!op) throw new OpError('MASK_UNKNOWN_OPERATOR', `unknown masking operator "${name}" (known: ${[...OPERATORS.keys()].join(', ')})`);
  return op;
}

/** Validates one rule for one field; throws with a code naming the field. */
export function validateRule(datasetId: string, field: FieldSpec, rule: MaskRule): FieldPolicy {
  const where = `${datasetId}.${field.name}`;
  const op = operatorFor(rule.op);
  let params: unknown;
  try {
    params = op.validate(rule.params);
  } catch (err) {
    if (err instanceof OpError) throw new OpError(err.code, `${where}: ${err.message}`);
    throw err;
  }
  if (op.types !== 'any' && !op.types.includes(field.type)) {
    throw new OpError('MASK_WRONG_TYPE', `${where}: ${op.name} does not apply to ${field.type}`);
  }
  if (isProtectedField(field) && (op.name === 'keep' || op.reversible)) {
    throw new OpError(
      'MASK_TOO_WEAK',
      `${where}: ${op.name} is not allowed for a ${field.role === 'direct_identifier' ? 'direct identifier' : 'sensitive personal field'}`,
    );
  }
  return { field, op, params, usage: defaultUsage(field) };
}

/** The catalog's levels for a field; an operator's own dataset is plaintext to it in the sandbox. */
export function baseUsage(ds: DatasetSpec, field: FieldSpec): FieldUsage {
  const d = defaultUsage(field);
  return ds.owner ? { sandbox: field.usage?.sandbox ?? 'plaintext', export: d.export } : d;
}

function applyUsage(ds: DatasetSpec, fp: FieldPolicy, wanted: UsageOverrides[string] | undefined): FieldPolicy {
  const base = baseUsage(ds, fp.field);
  const usage: Record<string, UsageLevel> = { ...base };
  for (const a of USAGE_AUDIENCES) {
    const w = wanted?.[a];
    if (w === undefined) continue;
    if (!isUsageLevel(w)) throw new OpError('BAD_REQUEST', `${ds.id}.${fp.field.name}: unknown usage level "${String(w)}"`);
    if (!isTightening(base[a], w))
      throw new OpError(
        'USAGE_LOOSENED',
        `${ds.id}.${fp.field.name}: the ${a} level may only be tightened (${base[a]} → ${w} allows a use ${base[a]} does not)`,
      );
    usage[a] = w;
  }
  return { ...fp, usage: usage as unknown as FieldUsage };
}

/** Operators keyed per entity (`by`) must name a field of the same dataset. */
function checkByField(datasetId: string, fp: FieldPolicy, fieldNames: readonly string[]): FieldPolicy {
  const by = (fp.params as { by?: unknown } | undefined)?.by;
  if (typeof by === 'string' && !fieldNames.includes(by)) {
    throw new OpError('MASK_BAD_PARAMS', `${datasetId}.${fp.field.name}: ${fp.op.name} "by" names no field of ${datasetId}`);
  }
  return fp;
}

export function resolvePolicy(grants: readonly Grant[], overrides: MaskOverrides = {}, usage: UsageOverrides = {}): TenantPolicy {
  const seen = new Set<string>();
  const datasets: DatasetPolicy[] = [];
  for (const grant of grants) {
    const ds = findDataset(grant.dataset);
    if (!ds) throw new OpError('DATASET_NOT_FOUND', `no dataset "${grant.dataset}" in the catalog`);
    if (seen.has(ds.id)) throw new OpError('BAD_REQUEST', `dataset "${ds.id}" is granted twice`);
    seen.add(ds.id);
    if (!isGrantable(ds))
      throw new OpError('DATASET_NOT_GRANTABLE', `dataset "${ds.id}" is ${ds.grade === 'core' ? 'graded core' : 'prohibited from opening'}`);
    const names = grant.fields ?? ds.fields.filter(isGrantable).map((f) => f.name);
    const fields: FieldPolicy[] = [];
    for (const name of names) {
      const field = ds.fields.find((f) => f.name === name);
      if (!field) throw new OpError('DATASET_NOT_FOUND', `dataset "${ds.id}" has no field "${name}"`);
      if (!isGrantable(field)) {
        throw new OpError(
          'DATASET_NOT_GRANTABLE',
          `${ds.id}.${name} is ${field.grade === 'core' ? 'graded core' : 'prohibited from opening'} and can never be granted`,
        );
      }
      const override = overrides[`${ds.id}.${name}`];
      const base = checkByField(
        ds.id,
        validateRule(ds.id, field, field.mask),
        ds.fields.map((f) => f.name),
      );
      if (!override) {
        fields.push(applyUsage(ds, base, usage[`${ds.id}.${name}`]));
        continue;
      }
      const chosen = checkByField(
        ds.id,
        validateRule(ds.id, field, override),
        ds.fields.map((f) => f.name),
      );
      if (isProtectedField(field) && chosen.op.strength < base.op.strength) {
        throw new OpError('MASK_TOO_WEAK', `${ds.id}.${name}: an override may only make masking stronger (${base.op.name} → ${chosen.op.name})`);
      }
      fields.push(applyUsage(ds, chosen, usage[`${ds.id}.${name}`]));
    }
    datasets.push({ dataset: ds.id, fields });
  }
  for (const key of Object.keys(usage)) {
    const [d, f] = key.split('.');
    if (!datasets.some((ds) => ds.dataset === d && ds.fields.some((fp) => fp.field.name === f))) {
      throw new OpError('BAD_REQUEST', `usage level "${key}" names no granted field`);
    }
  }
  for (const key of Object.keys(overrides)) {
    const [d, f] = key.split('.');
    if (!datasets.some((ds) => ds.dataset === d && ds.fields.some((fp) => fp.field.name === f))) {
      throw new OpError('BAD_REQUEST', `override "${key}" names no granted field`);
    }
  }
  return { datasets, hash: policyHash(datasets) };
}

export function policyHash(datasets: readonly DatasetPolicy[]): string {
  const canonical = datasets.map((d) => ({
    dataset: d.dataset,
    fields: d.fields.map((f) => ({ field: f.field.name, op: f.op.name, params: f.params, usage: f.usage })),
  }));
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** The SELECT that builds one masked table from `source` (e.g. raw."population"). */
export function compileDataset(policy: DatasetPolicy, source: string, ctx: SqlContext): string {
  const cols: string[] = [];
  for (const fp of policy.fields) {
    if (fp.op.toColumns) {
      for (const c of fp.op.toColumns(quoteIdent(fp.field.name), fp.params, fp.field, ctx)) cols.push(`${c.expr} AS ${quoteIdent(c.name)}`);
      continue;
    }
    const expr = fp.op.toSql(quoteIdent(fp.field.name), fp.params, fp.field, ctx);
    if (expr !== null) cols.push(`${expr} AS ${quoteIdent(fp.field.name)}`);
  }
  if (cols.length === 0) throw new OpError('BAD_REQUEST', `dataset "${policy.dataset}": no field survives the policy`);
  return `SELECT ${cols.join(', ')} FROM ${source}`;
}
