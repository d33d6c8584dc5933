// Differentially private aggregates for scripts (dp.count, dp.sum, dp.mean, dp.quantile, each
// with an optional groupBy), computed host-side in the worker: the rows never reach the script.
// Every unit of privacy (a person by the table's unit column) contributes a bounded amount — at
// most `maxGroups` groups, a total clamped to [lo, hi] — whatever the data holds, and the bounds
// come from the call, never from the data. Noise is exact discrete Laplace (privacy/dp.ts).
// Budget is reserved before the query runs, charged after it, refunded if it fails.
import type { DuckDBConnection } from '@duckdb/node-api';
import { COUNTIES } from '../datasets/index.ts';
import { refuseTable } from './tableNames.ts';
import { OpError } from '../errors/index.ts';
import { discreteLaplace, laplaceScale, rational, releaseThreshold } from '../privacy/index.ts';
import { checkQuery, duckdbTree } from './gate.ts';
import type { TenantDb } from './tenantDb.ts';

export type DpKind = 'count' | 'sum' | 'mean' | 'quantile';

export interface DpSpec {
  readonly table: string;
  readonly column?: string;
  /** A SQL boolean expression over the table's columns (gated like any query). */
  readonly where?: string;
  readonly groupBy?: string;
  /** Public group keys (fixed by the script, not read from the data); else noisy thresholding. */
  readonly keys?: readonly (string | number)[];
  readonly epsilon: number;
  /** For noisy thresholding only. */
  readonly delta?: number;
  readonly lo?: number;
  readonly hi?: number;
  /** Quantization of sums: contributions are rounded to multiples of it (default 1). */
  readonly granularity?: number;
  readonly q?: number;
  readonly bins?: number;
  readonly maxGroups?: number;
}

export interface DpRelease {
  readonly kind: DpKind;
  readonly table: string;
  readonly epsilon: number;
  readonly delta: number;
  readonly mechanism: 'discrete_laplace' | 'report_noisy_max';
  /** Scalar: [[value]]; grouped: [[key, value], …]. */
  readonly rows: readonly (readonly (string | number)[])[];
  readonly bounds?: { readonly lo: number; readonly hi: number };
}

/** What the worker asks the gateway: a reservation before, a settlement after. */
export type BudgetCall = (
  req:
    | { op: 'reserve'; dataset: string; epsilon: number; delta: number; mechanism: string }
    | { op: 'settle'; reservation: string; ok: boolean; release?: DpRelease },
) => Promise<unknown>;

/** Catalog vocabularies whose values are public, so a grouped release may list every key. */
const PUBLIC_KEYS: Readonly<Record<string, readonly string[]>> = { county_code: COUNTIES.map((c) => c.code), gender: ['男', '女'] };

const q = (n: string) => `"${n.replaceAll('"', '""')}"`;
const bad = (m: string) => new OpError('DP_INVALID', m);

function parse(kind: DpKind, s: unknown): DpSpec {
  if (!s || typeof s !== 'object') throw bad(`dp.${kind}(spec): spec must be an object`);
  const o = s as Record<string, unknown>;
  const num = (k: string, req: boolean) => {
    if (o[k] === undefined && !req) return undefined;
    if (typeof o[k] !== 'number' || !Number.isFinite(o[k])) throw bad(`${k} must be a finite number`);
    return o[k] as number;
  };
  const epsilon = num('epsilon', true)!;
  if (!(epsilon > 0 && epsilon <= 10)) throw bad('epsilon must be in (0, 10]');
  const needsBounds = kind !== 'count';
  const lo = num('lo', needsBounds);
  const hi = num('hi', needsBounds);
  if (lo !== undefined && hi !== undefined && !(lo < hi)) throw bad('lo must be below hi');
  if (typeof o.table !== 'string') throw bad('table must be named');
  if (kind !== 'count' && typeof o.column !== 'string') throw bad('column must be named');
  const maxGroups = num('maxGroups', false) ?? 1;
  if (!Number.isInteger(maxGroups) || maxGroups < 1 || maxGroups > 100) throw bad('maxGroups must be an integer from 1 to 100');
  const delta = num('delta', false) ?? 1e-6;
  if (!(delta > 0 && delta < 0.01)) throw bad('delta must be in (0, 0.01)');
  const granularity = num('granularity', false) ?? 1;
  if (!(granularity > 0)) throw bad('granularity must be positive');
  const bins = num('bins', false) ?? 64;
  if (!Number.isInteger(bins) || bins < 2 || bins > 1000) throw bad('bins must be an integer from 2 to 1000');
  const qv = num('q', kind === 'quantile');
  if (qv !== undefined && !(qv >= 0 && qv <= 1)) throw bad('q must be in [0, 1]');
  return {
    table: o.table.toLowerCase(),
    ...(typeof o.column === 'string' ? { column: o.column.toLowerCase() } : {}),
    ...(typeof o.where === 'string' ? { where: o.where } : {}),
    ...(typeof o.groupBy === 'string' ? { groupBy: o.groupBy.toLowerCase() } : {}),
    ...(Array.isArray(o.keys) ? { keys: o.keys as (string | number)[] } : {}),
    epsilon,
    delta,
    ...(lo !== undefined ? { lo } : {}),
    ...(hi !== undefined ? { hi } : {}),
    granularity,
    ...(qv !== undefined ? { q: qv } : {}),
    bins,
    maxGroups,
  };
}

const noise = (sensitivity: bigint, epsilon: number) => discreteLaplace(laplaceScale(sensitivity, rational(epsilon, 'epsilon')));

/** Per-unit contributions (unit, group, value) as SQL, each unit in at most maxGroups groups. */
function contributions(spec: DpSpec, unit: string, value: string): string {
  const g = spec.groupBy ? q(spec.groupBy) : "''";
  const where = spec.where ? ` WHERE (${spec.where})` : '';
  return `SELECT unit, g, v FROM (SELECT ${q(unit)} AS unit, ${g} AS g, ${value} AS v FROM ${q(spec.table)}${where} GROUP BY 1, 2)
    QUALIFY row_number() OVER (PARTITION BY unit ORDER BY hash(g)) <= ${spec.maxGroups}`;
}

export async function answerDp(con: DuckDBConnection, db: TenantDb, kind: DpKind, raw: unknown, budget: BudgetCall): Promise<DpRelease> {
  const spec = parse(kind, raw);
  if (!db.allowedTables.has(spec.table)) refuseTable(spec.table, db.allowedTables);
  const unit = db.unitOf(spec.table);
  if (!unit) throw bad(`${spec.table} has no unit of privacy: DP needs to know whose rows are whose`);
  const cols = db.columnsOf(spec.table);
  for (const c of [spec.column, spec.groupBy]) if (c && !cols.includes(c)) throw bad(`${spec.table} has no column "${c}"`);
  if (spec.where !== undefined) await checkWhere(con, spec.table, spec.where);
  const value = kind === 'count' ? '1' : `sum(${q(spec.column!)})`;
  const sql = contributions(spec, unit, value);
  // The gate reads the generated text (and the operator's WHERE inside it) like any query.
  await checkQuery(con, `SELECT * FROM (${sql})`, db.allowedTables);
  const keysPublic = spec.keys ?? (spec.groupBy ? PUBLIC_KEYS[spec.groupBy] : undefined);
  const thresholded = !!spec.groupBy && !keysPublic;
  const delta = thresholded ? spec.delta! : 0;
  const reservation = String(await budget({ op: 'reserve', dataset: spec.table, epsilon: spec.epsilon, delta, mechanism: kind }));
  try {
    const release = await compute(con, kind, spec, sql, keysPublic, thresholded);
    await budget({ op: 'settle', reservation, ok: true, release });
    return release;
  } catch (err) {
    await budget({ op: 'settle', reservation, ok: false }).catch(() => undefined);
    throw err;
  }
}

/**
 * The WHERE must be one boolean expression over the table, not a way out of the query it is put
 * in: read alone by DuckDB's parser, it must make exactly `SELECT 1 FROM table WHERE (…)`.
 */
async function checkWhere(con: DuckDBConnection, table: string, where: string): Promise<void> {
  if (where.length > 10_000 || where.includes('\u0000')) throw bad('where is too long');
  const [statement] = await duckdbTree(con, `SELECT 1 FROM ${q(table)} WHERE (${where}\n)`).catch((e: OpError) => {
    throw bad(`where: ${e.message}`);
  });
  const node = (statement as { node?: Record<string, unknown> } | undefined)?.node;
  const from = node?.from_table as Record<string, unknown> | undefined;
  const plain =
    !!node &&
    node.type === 'SELECT_NODE' &&
    Array.isArray(node.select_list) &&
    node.select_list.length === 1 &&
    from?.type === 'BASE_TABLE' &&
    String(from.table_name).toLowerCase() === table &&
    (node.group_expressions as unknown[]).length === 0 &&
    !node.having &&
    !node.qualify &&
    (node.modifiers as unknown[]).length === 0 &&
    ((node.cte_map as { map?: unknown[] })?.map ?? []).length === 0 &&
    !!node.where_clause;
  if (!plain) throw bad('where must be one boolean expression over the table');
}

async function compute(
  con: DuckDBConnection,
  kind: DpKind,
  spec: DpSpec,
  sql: string,
  keys: readonly (string | number)[] | undefined,
  thresholded: boolean,
): Promise<DpRelease> {
  const base = {
    kind,
    table: spec.table,
    epsilon: spec.epsilon,
    delta: thresholded ? spec.delta! : 0,
    ...(spec.lo !== undefined ? { bounds: { lo: spec.lo, hi: spec.hi! } } : {}),
  };
  const m = BigInt(spec.maxGroups!);
  if (kind === 'quantile') return { ...base, mechanism: 'report_noisy_max', rows: await quantile(con, spec, sql) };
  const gr = spec.granularity!;
  const clampQ = (lo: number, hi: number) => `round(least(greatest(v, ${lo}), ${hi}) / ${gr})::BIGINT`;
  const groups = async (expr: string) => {
    const r = (await con.runAndReadAll(`SELECT g::VARCHAR AS g, sum(${expr})::BIGINT AS s FROM (${sql}) GROUP BY 1`)).getRows();
    return new Map(r.map((x) => [String(x[0]), BigInt(String(x[1] ?? 0))]));
  };
  const release = (true_: Map<string, bigint>, sensitivity: bigint, eps: number): Map<string, bigint> => {
    const out = new Map<string, bigint>();
    const wanted = keys ? keys.map(String) : spec.groupBy ? [...true_.keys()] : [''];
    for (const k of wanted) out.set(k, (true_.get(k) ?? 0n) + noise(sensitivity, eps));
    return out;
  };
  const rows = (vals: Map<string, number>) => [...vals].map(([k, v]) => (spec.groupBy ? [k, v] : [v]));
  if (kind === 'count') {
    const noisy = release(await groups('1'), m, spec.epsilon);
    const tau = thresholded ? releaseThreshold(Number(m) / spec.epsilon, spec.delta!) : -Infinity;
    return {
      ...base,
      mechanism: 'discrete_laplace',
      rows: rows(new Map([...noisy].filter(([, v]) => Number(v) >= tau).map(([k, v]) => [k, Math.max(0, Number(v))]))),
    };
  }
  const bound = BigInt(Math.ceil(Math.max(Math.abs(spec.lo!), Math.abs(spec.hi!)) / gr));
  if (kind === 'sum') {
    const sums = release(await groups(clampQ(spec.lo!, spec.hi!)), bound * m, spec.epsilon);
    return { ...base, mechanism: 'discrete_laplace', rows: rows(new Map([...sums].map(([k, v]) => [k, Number(v) * gr]))) };
  }
  // mean: half the budget on the sum, half on the count; the noisy ratio clamped into [lo, hi].
  const half = spec.epsilon / 2;
  const sums = release(await groups(clampQ(spec.lo!, spec.hi!)), bound * m, half);
  const counts = release(await groups('1'), m, half);
  const tau = thresholded ? releaseThreshold(Number(m) / half, spec.delta!) : -Infinity;
  const means = new Map<string, number>();
  for (const [k, c] of counts) {
    if (Number(c) < tau) continue;
    const mean = Number(c) <= 0 ? (spec.lo! + spec.hi!) / 2 : (Number(sums.get(k) ?? 0n) * gr) / Number(c);
    means.set(k, Math.min(spec.hi!, Math.max(spec.lo!, mean)));
  }
  return { ...base, mechanism: 'discrete_laplace', rows: rows(means) };
}

/**
 * The q-quantile of per-unit values by report-noisy-max over `bins` candidates between lo and
 * hi: each candidate's utility is minus its distance (in units) from rank q·n, sensitivity 1;
 * discrete Laplace noise of scale 2/ε on each, the largest wins.
 */
async function quantile(con: DuckDBConnection, spec: DpSpec, sql: string): Promise<(string | number)[][]> {
  if (spec.groupBy) throw bad('dp.quantile takes no groupBy');
  const { lo, hi, bins } = spec as Required<Pick<DpSpec, 'lo' | 'hi' | 'bins'>>;
  const step = (hi - lo) / (bins - 1);
  const cands = Array.from({ length: bins }, (_, i) => lo + i * step);
  const r = (
    await con.runAndReadAll(
      `SELECT ${cands.map((c, i) => `count(*) FILTER (WHERE least(greatest(v, ${lo}), ${hi}) <= ${c})::BIGINT AS c${i}`).join(', ')}, count(*)::BIGINT AS n FROM (${sql.replace('SELECT unit, g, v', 'SELECT unit, g, v')}) WHERE g = ''`,
    )
  ).getRowObjectsJS()[0]!;
  const n = Number(r.n);
  let best = 0;
  let bestScore = -Infinity;
  cands.forEach((_, i) => {
    const utility = -Math.abs(Number(r[`c${i}`]) - Math.round(spec.q! * n));
    const score = utility + Number(discreteLaplace(laplaceScale(2n, rational(spec.epsilon, 'epsilon'))));
    if (score > bestScore) [best, bestScore] = [i, score];
  });
  return [[cands[best]!]];
}
