// Cells measured from the data. For an aggregate output the check re-derives every cell of the
// query that produced it from DuckDB's own syntax tree, and measures it itself, per unit of
// privacy (a person by id_card, an enterprise by credit_code): the same FROM (CTEs and derived
// tables followed, the unit column carried up through them), the same WHERE, the same grouping
// (grouping sets, ROLLUP and CUBE kept), each aggregate's own FILTER and argument — and the
// unit added to the grouping. A second pass reads, per cell and per aggregate, how many units
// contribute, each unit's contribution, the largest ones, negative values, the spread, and a
// fingerprint of the unit set. HAVING, ORDER and LIMIT are dropped: the full grid is measured,
// so cells the operator withheld are known too. Nothing is read from the output's own numbers.
import type { DuckDBConnection } from '@duckdb/node-api';
import { findDataset } from '../datasets/index.ts';
import { AGGREGATE_FUNCTIONS, COUNT_FUNCTIONS, MODEL_FUNCTIONS, VALUE_CARRYING_FUNCTIONS, rowsOf } from '../sandbox/index.ts';
import { valueKey, type Params, type QueryResult } from './provenance.ts';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };
const isObj = (n: Json | undefined): n is Obj => !!n && typeof n === 'object' && !Array.isArray(n);
const clone = <T extends Json>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

/** What one aggregate call measures in one cell. */
export interface AggStats {
  readonly fn: string;
  /** Units with at least one row under the aggregate (its FILTER and non-null arguments). */
  readonly units: number;
  /** Rows under the aggregate (what count(*) FILTER … gives). */
  readonly rows: number;
  /** Sum of the units' absolute contributions, and the largest ones, largest first. */
  readonly total: number;
  readonly top: readonly number[];
  /** Some unit's contribution is negative: dominance is not defined. */
  readonly negative: boolean;
  /** Smallest and largest row value: equal means every contributor has the same value. */
  readonly min: number | null;
  readonly max: number | null;
  /** Order-free fingerprint of the unit set (xor of hashes). */
  readonly fingerprint: string;
}

export interface Cell {
  /** Which part of the query (a branch of a set operation, a window). */
  readonly part: number;
  /** Grouping set (DuckDB's grouping() bits; 0 without grouping sets). */
  readonly gid: number;
  /** Values of the dimension items, as the script saw them. */
  readonly dims: readonly unknown[];
  /** Which dims are rolled up (a margin) in this cell. */
  readonly rolledUp: readonly boolean[];
  /** Distinct units per unit source (each catalog table's unit column in FROM). */
  readonly units: readonly number[];
  /** Per aggregate call of the part. */
  readonly aggs: readonly AggStats[];
}

export type MeasureKind = 'count' | 'magnitude' | 'model' | 'single' | 'quantile';

/** A result column of the query that carries aggregates. */
export interface MeasureItem {
  /** Result column position in the query. */
  readonly column: number;
  /** Aggregate call indexes (into Cell.aggs) in the item, per part. */
  readonly aggs: readonly number[];
  readonly fns: readonly string[];
  readonly kind: MeasureKind;
  /** The item computes on counts with constants only (count * 10 + 100, round(count, -1)). */
  readonly countArithmetic: boolean;
  /** Its count counts distinct values. */
  readonly distinctCount: boolean;
  /** Catalog fields of the aggregates' arguments, for the ledger. */
  readonly argFields: readonly string[];
}

/** One aggregate SELECT of the query (a branch of a set operation, or one window column). */
export interface MeasuredPart {
  /** Result column positions of the dimension items. */
  readonly dims: readonly number[];
  readonly measures: readonly MeasureItem[];
}

export interface MeasuredQuery {
  readonly parts: readonly MeasuredPart[];
  readonly cells: readonly Cell[];
  /** Unit sources: kind and table.column. */
  readonly sources: readonly { readonly kind: string; readonly field: string }[];
  /** A window aggregate that runs over an ordered frame (each value one step from the last). */
  readonly running: readonly number[];
  /** The query's values could not be measured (why). */
  readonly error?: string;
  readonly tables: readonly string[];
  /** Per part, the per-cell-and-unit query the cells were read from (for comparing two bindings' unit sets). */
  readonly stages?: readonly StagePlan[];
}

/** One part's stage-1 query: a row per cell and unit, with per-aggregate row counts. */
export interface StagePlan {
  readonly sql: string;
  readonly dims: number;
  readonly sources: number;
  readonly partials: number;
  /** Grouping sets, ROLLUP or CUBE: a cell's grouping id is part of what it is. */
  readonly grouped: boolean;
}

/** The column names of a stage-1 query's result (runPart and unitDifferences read it alike). */
export function stageNames(plan: StagePlan): { dims: string[]; units: string[]; names: string[] } {
  const dims = Array.from({ length: plan.dims }, (_, i) => `__d${i}`);
  const units = Array.from({ length: plan.sources }, (_, i) => `__u${i}`);
  const per = Array.from({ length: plan.partials }, (_, k) => [`__r${k}`, `__s${k}`, `__mn${k}`, `__mx${k}`]).flat();
  return { dims, units, names: [...dims, '__g', ...units, ...per] };
}

/** The key of a cell, the same for a measured Cell and a row read back from its stage. */
export function cellKey(part: number, gid: number, dims: readonly unknown[]): string {
  return `${part}\u0001${gid}\u0001${dims.map(valueKey).join('\u0001')}`;
}

export const CONTRIBUTORS_TIMEOUT_MS = 60_000;

const QUANTILES = new Set(['median', 'quantile', 'quantile_cont', 'quantile_disc', 'approx_quantile', 'reservoir_quantile']);

export function kindOf(fns: readonly string[]): MeasureKind {
  if (fns.some((f) => VALUE_CARRYING_FUNCTIONS.has(f))) return 'single';
  if (fns.some((f) => QUANTILES.has(f))) return 'quantile';
  if (fns.some((f) => MODEL_FUNCTIONS.has(f))) return 'model';
  if (fns.every((f) => COUNT_FUNCTIONS.has(f))) return 'count';
  return 'magnitude';
}

/** Parses an expression template once; `__x__` names are holes for subtrees. */
class Templates {
  private readonly cache = new Map<string, Obj>();
  constructor(private readonly con: DuckDBConnection) {}
  async expr(sql: string, holes: Record<string, Json>): Promise<Obj> {
    let t = this.cache.get(sql);
    if (!t) {
      const r = await this.con.runAndReadAll('SELECT json_serialize_sql($1::VARCHAR) AS j', [`SELECT ${sql}`]);
      const tree = JSON.parse(String(r.getRowObjectsJS()[0]!.j)) as Obj;
      t = ((tree.statements as Obj[])[0]!.node as Obj).select_list as unknown as Obj;
      this.cache.set(sql, t);
    }
    const fill = (n: Json): Json => {
      if (Array.isArray(n)) return n.map(fill);
      if (!isObj(n)) return n;
      if (n.class === 'COLUMN_REF' && Array.isArray(n.column_names) && n.column_names.length === 1 && String(n.column_names[0]) in holes)
        return clone(holes[String(n.column_names[0])]!);
      return Object.fromEntries(Object.entries(n).map(([k, v]) => [k, fill(v)]));
    };
    return fill((t as unknown as Json[])[0]!) as Obj;
  }
}

const stripMeta = (n: Json): Json => {
  if (Array.isArray(n)) return n.map(stripMeta);
  if (!isObj(n)) return n;
  return Object.fromEntries(
    Object.entries(n)
      .filter(([k]) => k !== 'alias' && k !== 'query_location')
      .map(([k, v]) => [k, stripMeta(v)]),
  );
};
const sameExpr = (a: Json, b: Json) => JSON.stringify(stripMeta(a)) === JSON.stringify(stripMeta(b));

interface UnitRef {
  readonly kind: string;
  readonly field: string;
  readonly expr: Obj;
}

interface Ctx {
  readonly tenantHas: (table: string, column: string) => boolean;
  readonly t: Templates;
  n: number;
}

const colRef = (...names: string[]): Obj => ({ class: 'COLUMN_REF', type: 'COLUMN_REF', alias: '', column_names: names });

function ctesOf(node: Obj, outer: ReadonlyMap<string, Obj>): Map<string, Obj> {
  const m = new Map(outer);
  const map = isObj(node.cte_map) && Array.isArray(node.cte_map.map) ? node.cte_map.map : [];
  for (const e of map) if (isObj(e) && isObj(e.value) && isObj(e.value.query)) m.set(String(e.key).toLowerCase(), e.value);
  return m;
}

/** Rewrites a FROM clause so every catalog table's unit column is in scope; undefined when it cannot. */
function unitsInScope(from: Json, ctes: ReadonlyMap<string, Obj>, c: Ctx): { from: Json; units: UnitRef[] } | undefined {
  if (!isObj(from) || from.type === 'EMPTY') return { from, units: [] };
  if (from.type === 'BASE_TABLE') {
    const name = String(from.table_name).toLowerCase();
    const cte = !from.schema_name && !from.catalog_name ? ctes.get(name) : undefined;
    if (cte) {
      // A CTE reference becomes the CTE's query inline, so the unit can be carried up through it.
      const aliases = Array.isArray(cte.aliases) ? cte.aliases : [];
      const sub: Obj = {
        type: 'SUBQUERY',
        alias: String(from.alias || from.table_name),
        sample: null,
        subquery: clone(cte.query!),
        column_name_alias: (Array.isArray(from.column_name_alias) && from.column_name_alias.length > 0 ? from.column_name_alias : aliases) as Json,
      };
      return unitsInScope(sub, ctes, c);
    }
    const ds = findDataset(name);
    const unit = ds?.unit;
    if (!ds || !unit || !c.tenantHas(name, unit.field)) return ds ? { from, units: [] } : undefined;
    const rel = String(from.alias || from.table_name);
    return { from, units: [{ kind: unit.kind, field: `${name}.${unit.field}`, expr: colRef(rel, unit.field) }] };
  }
  if (from.type === 'SUBQUERY' && isObj(from.subquery) && isObj(from.subquery.node)) {
    const copy = clone(from);
    const alias = String(copy.alias || `__sq${c.n++}`);
    copy.alias = alias;
    const inner = carryUnits((copy.subquery as Obj).node as Obj, ctes, c);
    if (!inner) return undefined;
    (copy.subquery as Obj).node = inner.node;
    return { from: copy, units: inner.units.map((u) => ({ ...u, expr: colRef(alias, u.name) })) };
  }
  if (from.type === 'JOIN') {
    const l = unitsInScope(from.left ?? null, ctes, c);
    const r = unitsInScope(from.right ?? null, ctes, c);
    if (!l || !r) return undefined;
    // An inner join on the units themselves (p.id_card = s.id_card) makes them one source.
    const using = (Array.isArray(from.using_columns) ? from.using_columns : []).map((x) => String(x).toLowerCase());
    const equated = (a: UnitRef, b: UnitRef) =>
      a.kind === b.kind &&
      from.join_type === 'INNER' &&
      (joinEquates(from.condition ?? null, a.expr, b.expr) || (a.field.split('.')[1] === b.field.split('.')[1] && using.includes(a.field.split('.')[1]!)));
    const right = r.units.filter((u) => !l.units.some((x) => equated(x, u)));
    return { from: { ...from, left: l.from, right: r.from }, units: [...l.units, ...right] };
  }
  return undefined;
}

/** The join condition has `a = b` as one of its AND-ed terms. */
function joinEquates(cond: Json, a: Obj, b: Obj): boolean {
  if (!isObj(cond)) return false;
  if (cond.class === 'CONJUNCTION' && cond.type === 'CONJUNCTION_AND') return (cond.children as Json[]).some((x) => joinEquates(x, a, b));
  if (cond.class !== 'COMPARISON' || cond.type !== 'COMPARE_EQUAL') return false;
  const [l, r] = [cond.left ?? null, cond.right ?? null];
  return (sameExpr(l, a) && sameExpr(r, b)) || (sameExpr(l, b) && sameExpr(r, a));
}

const aggregating = (node: Obj) =>
  (Array.isArray(node.group_expressions) && node.group_expressions.length > 0) ||
  node.aggregate_handling === 'FORCE_AGGREGATES' ||
  (Array.isArray(node.select_list) && node.select_list.some((i) => aggCalls(i).length > 0));

/** Adds the unit columns to a derived table's select list (named __u…); undefined when the node does not keep units apart. */
function carryUnits(node: Obj, outer: ReadonlyMap<string, Obj>, c: Ctx): { node: Obj; units: (UnitRef & { name: string })[] } | undefined {
  const ctes = ctesOf(node, outer);
  if (node.type === 'SET_OPERATION_NODE') {
    const l = isObj(node.left) ? carryUnits(node.left, ctes, c) : undefined;
    const r = isObj(node.right) ? carryUnits(node.right, ctes, c) : undefined;
    if (!l || !r || l.units.length !== r.units.length || l.units.some((u, i) => u.kind !== r.units[i]!.kind)) return undefined;
    // Positional: both sides carry the same unit kinds in the same order; the left side names them.
    return { node: { ...node, left: l.node, right: r.node }, units: l.units };
  }
  if (node.type !== 'SELECT_NODE') return undefined;
  const scoped = unitsInScope(node.from_table ?? null, ctes, c);
  if (!scoped) return undefined;
  const copy: Obj = { ...node, from_table: scoped.from as Json };
  if (aggregating(node)) {
    // An aggregate below keeps units apart only when it groups by them.
    const groups = Array.isArray(node.group_expressions) ? node.group_expressions : [];
    if (
      node.aggregate_handling === 'FORCE_AGGREGATES' ||
      !scoped.units.every((u) =>
        groups.some(
          (g) =>
            sameExpr(g, u.expr) ||
            (isObj(g) && g.class === 'COLUMN_REF' && sameExpr(colRef(String((g.column_names as string[]).at(-1))), colRef(u.field.split('.')[1]!))),
        ),
      )
    )
      return undefined;
  }
  const units = scoped.units.map((u, i) => ({ ...u, name: `__u${c.n++}_${i}` }));
  copy.select_list = [...(node.select_list as Json[]), ...units.map((u) => ({ ...u.expr, alias: u.name }))];
  return { node: copy, units };
}

/** Aggregate calls in an expression, outside subqueries and windows. */
function aggCalls(n: Json, acc: Obj[] = []): Obj[] {
  if (Array.isArray(n)) {
    n.forEach((x) => aggCalls(x, acc));
    return acc;
  }
  if (!isObj(n) || n.class === 'SUBQUERY' || n.class === 'WINDOW') return acc;
  if ((n.class === 'FUNCTION' || n.class === 'AGGREGATE') && AGGREGATE_FUNCTIONS.has(String(n.function_name).toLowerCase())) {
    acc.push(n);
    return acc;
  }
  Object.values(n).forEach((v) => aggCalls(v, acc));
  return acc;
}

/** Counts with constants around them only (count * 10 + 100, round(count(*), -1)). */
function countArithmetic(item: Json): boolean {
  const calls = aggCalls(item);
  if (calls.length !== 1 || !COUNT_FUNCTIONS.has(String(calls[0]!.function_name).toLowerCase())) return false;
  const walk = (n: Json): boolean => {
    if (Array.isArray(n)) return n.every(walk);
    if (!isObj(n)) return true;
    if (n === calls[0]) return true;
    if (n.class === 'COLUMN_REF' || n.class === 'SUBQUERY') return false;
    return Object.values(n).every(walk);
  };
  return (
    walk(item) && !(isObj(item) && (item.class === 'FUNCTION' || item.class === 'AGGREGATE') && COUNT_FUNCTIONS.has(String(item.function_name).toLowerCase()))
  );
}

const TRUE: Obj = { class: 'CONSTANT', type: 'VALUE_CONSTANT', alias: '', value: { type: { id: 'BOOLEAN', type_info: null }, is_null: false, value: true } };

interface Part {
  readonly node: Obj;
  /** Result column position → select item of this part. */
  readonly items: readonly Obj[];
}

async function deserialize(con: DuckDBConnection, tree: Obj): Promise<string> {
  // JSON.parse turns DuckDB's uint64 "no location" into a rounded double; put it back for the deserializer.
  const text = JSON.stringify(tree).replaceAll('18446744073709552000', '18446744073709551615');
  const r = await con.runAndReadAll('SELECT json_deserialize_sql($1::JSON) AS s', [text]);
  return String(r.getRowObjectsJS()[0]!.s);
}

interface PartPlan {
  readonly sql: string;
  readonly dims: number;
  readonly sources: number;
  readonly calls: readonly string[];
  /** Per call, the partials it reads (shared between calls on the same argument and filter). */
  readonly callPartial: readonly number[];
  readonly partials: number;
  /** Which partials belong to counts. */
  readonly countPartials: readonly boolean[];
  readonly grouped: boolean;
  /** For each dim: which group expression it is (for rolled-up bits), or -1. */
  readonly dimGroup: readonly number[];
  readonly groupCount: number;
  /** Dims that are constants in this part (a margin of a set operation). */
  readonly constantDims: readonly boolean[];
}

/** The unit-level query of one aggregate SELECT: dims, grouping id, units, and per-call partials. */
async function planPart(
  con: DuckDBConnection,
  part: Part,
  dimPos: readonly number[],
  ctes: ReadonlyMap<string, Obj>,
  c: Ctx,
): Promise<(PartPlan & { units: UnitRef[] }) | string> {
  const node = part.node;
  const scoped = unitsInScope(node.from_table ?? null, ctesOf(node, ctes), c);
  if (!scoped) return 'the FROM clause does not keep each unit of privacy apart (an aggregate below that does not group by the unit, or a table function)';
  if (scoped.units.length === 0) return 'no unit of privacy column (id_card, credit_code) is in the tables read';
  const calls: Obj[] = [];
  for (let k = 0; k < part.items.length; k++) if (!dimPos.includes(k)) calls.push(...aggCalls(part.items[k]!));
  const groups = clone((Array.isArray(node.group_expressions) ? node.group_expressions : []) as Json[]);
  // Positional GROUP BY 1 refers to the select list, which is rewritten: spell the item out.
  const resolvedGroups = groups.map((g) => {
    if (isObj(g) && g.class === 'CONSTANT' && isObj(g.value) && typeof g.value.value === 'number') {
      const item = (node.select_list as Json[])[(g.value.value as number) - 1];
      return isObj(item) ? { ...clone(item), alias: '' } : g;
    }
    return g;
  });
  const forceAll = node.aggregate_handling === 'FORCE_AGGREGATES';
  const dimItems = dimPos.map((p) => part.items[p]!);
  const baseGroups = forceAll ? dimItems.map((d) => ({ ...clone(d), alias: '' })) : resolvedGroups;
  const sets = Array.isArray(node.group_sets) ? (node.group_sets as number[][]) : [];
  const multi = sets.length > 1;
  const unitStart = baseGroups.length;
  const groupExprs = [...baseGroups, ...scoped.units.map((u) => u.expr)];
  const unitIdx = scoped.units.map((_, i) => unitStart + i);
  const groupSets = sets.length > 0 && !forceAll ? sets.map((s) => [...s, ...unitIdx]) : [[...baseGroups.map((_, i) => i), ...unitIdx]];
  // Dims keep their aliases: a GROUP BY may name them (GROUP BY ROLLUP (county, era)).
  const select: Json[] = dimItems.map((d) => clone(d));
  select.push(
    multi ? await c.t.expr('grouping(__g__)', { __g__: null }).then((g) => ({ ...g, children: baseGroups.map((x) => clone(x)) })) : await c.t.expr('0', {}),
  );
  scoped.units.forEach((u) => select.push(clone(u.expr)));
  // Calls that read the same argument under the same filter (avg(x) and sum(x)) share one set of partials.
  const partialKeys: string[] = [];
  const callPartial: number[] = [];
  const countPartials: boolean[] = [];
  for (const call of calls) {
    const fn = String(call.function_name).toLowerCase();
    const args = (Array.isArray(call.children) ? call.children : []) as Json[];
    // count_if(c) counts the rows where c holds: c is a filter, not an argument.
    const conditional = fn === 'count_if' || fn === 'countif';
    const used = fn === 'count_star' || conditional ? [] : MODEL_FUNCTIONS.has(fn) || fn === 'regr_count' ? args.slice(0, 2) : args.slice(0, 1);
    const isCount = COUNT_FUNCTIONS.has(fn);
    const own: Json =
      conditional && args[0]
        ? call.filter
          ? await c.t.expr('__f__ AND __a__', { __f__: clone(call.filter), __a__: args[0] })
          : clone(args[0])
        : call.filter
          ? clone(call.filter)
          : null;
    const key = JSON.stringify(stripMeta([own, used, isCount]));
    const known = partialKeys.indexOf(key);
    if (known >= 0) {
      callPartial.push(known);
      continue;
    }
    callPartial.push(partialKeys.length);
    partialKeys.push(key);
    countPartials.push(isCount);
    let filter: Json = own;
    for (const a of used.slice(1))
      filter = filter ? await c.t.expr('__f__ AND __a__ IS NOT NULL', { __f__: filter, __a__: a }) : await c.t.expr('__a__ IS NOT NULL', { __a__: a });
    const arg = used[0] ?? null;
    const where = filter ? ' FILTER (WHERE __f__)' : '';
    const holes = { __f__: filter ?? TRUE, __a__: arg ?? TRUE };
    // Rows under the aggregate: its filter, and non-null arguments.
    select.push(await c.t.expr(arg ? `count(__a__)${where}` : `count(*)${where}`, holes));
    if (isCount) {
      // A count's contribution is the unit's rows; its values have no spread to read.
      select.push(
        await c.t.expr(arg ? `count(__a__)${where}` : `count(*)${where}`, holes),
        await c.t.expr('NULL::DOUBLE', {}),
        await c.t.expr('NULL::DOUBLE', {}),
      );
      continue;
    }
    select.push(await c.t.expr(`sum(TRY_CAST(__a__ AS DOUBLE))${where}`, holes));
    select.push(await c.t.expr(`min(TRY_CAST(__a__ AS DOUBLE))${where}`, holes));
    select.push(await c.t.expr(`max(TRY_CAST(__a__ AS DOUBLE))${where}`, holes));
  }
  const copy: Obj = {
    ...clone(node),
    from_table: scoped.from,
    select_list: select,
    group_expressions: groupExprs as Json[],
    group_sets: groupSets,
    aggregate_handling: 'STANDARD_HANDLING',
    having: null,
    qualify: null,
    modifiers: [],
  };
  const sql = await deserialize(con, { statements: [{ node: copy, named_param_map: [] }] } as unknown as Obj);
  const aliasRef = (g: Json, d: Obj) =>
    isObj(g) &&
    g.class === 'COLUMN_REF' &&
    Array.isArray(g.column_names) &&
    g.column_names.length === 1 &&
    !!d.alias &&
    String(g.column_names[0]).toLowerCase() === String(d.alias).toLowerCase();
  const dimGroup = dimItems.map((d) => baseGroups.findIndex((g) => sameExpr(g, d) || aliasRef(g, d)));
  const constantDims = dimItems.map((d) => !JSON.stringify(d).includes('"COLUMN_REF"'));
  return {
    sql,
    dims: dimItems.length,
    sources: scoped.units.length,
    calls: calls.map((x) => String(x.function_name).toLowerCase()),
    callPartial,
    partials: partialKeys.length,
    countPartials,
    grouped: multi,
    dimGroup,
    groupCount: baseGroups.length,
    constantDims,
    units: scoped.units,
  };
}

async function runPart(con: DuckDBConnection, plan: PartPlan, part: number, params: Params): Promise<Cell[]> {
  const { dims: d, units: u, names } = stageNames(plan);
  const partials = Array.from({ length: plan.partials }, (_, k) => k);
  const key = [...d, '__g'];
  const keySel = key.join(', ');
  const stage1 = `SELECT * FROM (${plan.sql}) AS s(${names.join(', ')})`;
  const perUnit = partials.map((k) => `sum(__r${k}) AS r${k}, sum(__s${k}) AS s${k}, min(__mn${k}) AS mn${k}, max(__mx${k}) AS mx${k}`);
  // A count's per-unit contributions are its rows: no spread, no dominance to read.
  const stats = partials.map((k) =>
    plan.countPartials[k]
      ? `count(*) FILTER (WHERE r${k} > 0) AS units${k}, coalesce(sum(r${k}), 0) AS rows${k}, coalesce(sum(r${k}), 0) AS total${k}, NULL::DOUBLE[] AS top${k}, false AS neg${k}, NULL::DOUBLE AS min${k}, NULL::DOUBLE AS max${k}, CAST(coalesce(bit_xor(hash(__u0)) FILTER (WHERE r${k} > 0), 0) AS VARCHAR) AS fp${k}`
      : `count(*) FILTER (WHERE r${k} > 0) AS units${k}, coalesce(sum(r${k}), 0) AS rows${k}, coalesce(sum(abs(s${k})), 0) AS total${k}, max(abs(s${k}), 3) FILTER (WHERE r${k} > 0) AS top${k}, coalesce(bool_or(s${k} < 0), false) AS neg${k}, min(mn${k}) AS min${k}, max(mx${k}) AS max${k}, CAST(coalesce(bit_xor(hash(__u0)) FILTER (WHERE r${k} > 0), 0) AS VARCHAR) AS fp${k}`,
  );
  // Contributions are per unit of the first source; with one source its count is the cell's units too.
  const aggSql = (from: string) => `WITH c AS (SELECT ${keySel}, __u0${perUnit.length > 0 ? `, ${perUnit.join(', ')}` : ''} FROM ${from} GROUP BY ALL)
    SELECT ${keySel}, count(DISTINCT __u0) AS __n0${stats.length > 0 ? `, ${stats.join(', ')}` : ''} FROM c GROUP BY ALL`;
  let aggRows: Record<string, unknown>[];
  let unitRows: Record<string, unknown>[];
  if (plan.sources === 1) {
    // Stage 1 is already one row per cell and unit: it is the per-unit table.
    const renamed = partials.map((k) => `__r${k} AS r${k}, __s${k} AS s${k}, __mn${k} AS mn${k}, __mx${k} AS mx${k}`);
    const sql = `WITH c AS (SELECT ${keySel}, __u0${renamed.length > 0 ? `, ${renamed.join(', ')}` : ''} FROM (${stage1}))
      SELECT ${keySel}, count(*) FILTER (WHERE __u0 IS NOT NULL) AS __n0${stats.length > 0 ? `, ${stats.join(', ')}` : ''} FROM c GROUP BY ALL`;
    aggRows = rowsOf(await con.runAndReadAll(sql, params as never));
    unitRows = aggRows;
  } else {
    await con.run('DROP TABLE IF EXISTS temp.main.__s1');
    await con.run(`CREATE TEMP TABLE __s1 AS ${stage1}`, params as never);
    unitRows = rowsOf(
      await con.runAndReadAll(`SELECT ${keySel}, ${u.map((x, i) => `count(DISTINCT ${x}) AS __n${i}`).join(', ')} FROM temp.main.__s1 GROUP BY ALL`),
    );
    aggRows = rowsOf(await con.runAndReadAll(aggSql('temp.main.__s1')));
    await con.run('DROP TABLE IF EXISTS temp.main.__s1');
  }
  const k = (r: Record<string, unknown>) => key.map((x) => valueKey(r[x])).join('\u0001');
  const aggBy = new Map(aggRows.map((r) => [k(r), r]));
  return unitRows.map((r) => {
    const a = aggBy.get(k(r)) ?? {};
    const gid = Number(r.__g ?? 0);
    const rolledUp = plan.dimGroup.map((g, i) => plan.constantDims[i]! || (plan.grouped && g >= 0 && ((gid >> (plan.groupCount - 1 - g)) & 1) === 1));
    return {
      part,
      gid,
      dims: d.map((x) => r[x]),
      rolledUp,
      units: u.map((_, i) => Number(r[`__n${i}`] ?? 0)),
      aggs: plan.calls.map((fn, call) => {
        const j = plan.callPartial[call]!;
        return {
          fn,
          units: Number(a[`units${j}`] ?? 0),
          rows: Number(a[`rows${j}`] ?? 0),
          total: Number(a[`total${j}`] ?? 0),
          top: ((a[`top${j}`] as unknown[] | null) ?? []).map(Number),
          negative: a[`neg${j}`] === true,
          min: a[`min${j}`] === null || a[`min${j}`] === undefined ? null : Number(a[`min${j}`]),
          max: a[`max${j}`] === null || a[`max${j}`] === undefined ? null : Number(a[`max${j}`]),
          fingerprint: String(a[`fp${j}`] ?? '0'),
        };
      }),
    };
  });
}

/** Follows a plain projection over one derived table or CTE down to the aggregate below it. */
function peel(node: Obj, ctes: ReadonlyMap<string, Obj>): { node: Obj; map: number[]; ctes: ReadonlyMap<string, Obj> } | undefined {
  if (node.type !== 'SELECT_NODE' || aggregating(node)) return undefined;
  const scope = ctesOf(node, ctes);
  const from = node.from_table;
  let inner: Obj | undefined;
  if (isObj(from) && from.type === 'SUBQUERY' && isObj(from.subquery) && isObj(from.subquery.node)) inner = from.subquery.node;
  if (isObj(from) && from.type === 'BASE_TABLE' && !from.schema_name) {
    const cte = scope.get(String(from.table_name).toLowerCase());
    if (cte && isObj(cte.query) && isObj(cte.query.node)) inner = cte.query.node;
  }
  if (inner?.type !== 'SELECT_NODE' || !aggregating(inner)) return undefined;
  const innerNames = (inner.select_list as Obj[]).map((it) =>
    String(it.alias || (it.class === 'COLUMN_REF' ? (it.column_names as string[]).at(-1) : '')).toLowerCase(),
  );
  const renames = isObj(from) && Array.isArray(from.column_name_alias) ? from.column_name_alias.map((x) => String(x).toLowerCase()) : [];
  const visible = innerNames.map((n, i) => renames[i] ?? n);
  const map: number[] = [];
  for (const it of node.select_list as Obj[]) {
    if (it.class === 'STAR' && !it.relation_name && (!Array.isArray(it.exclude_list) || it.exclude_list.length === 0)) map.push(...visible.map((_, i) => i));
    else if (it.class === 'COLUMN_REF') {
      const i = visible.indexOf(String((it.column_names as string[]).at(-1)).toLowerCase());
      if (i < 0) return undefined;
      map.push(i);
    } else return undefined;
  }
  return { node: inner, map, ctes: scope };
}

function partsOf(node: Obj): Obj[] | undefined {
  if (node.type === 'SELECT_NODE') return [node];
  if (node.type === 'SET_OPERATION_NODE') {
    const l = isObj(node.left) ? partsOf(node.left) : undefined;
    const r = isObj(node.right) ? partsOf(node.right) : undefined;
    return l && r ? [...l, ...r] : undefined;
  }
  return undefined;
}

function argFields(q: QueryResult, column: number): string[] {
  return [...new Set((q.lineage?.items[column]?.inputs ?? []).map((i) => `${i.table}.${i.column}`))].sort();
}

/** What measuring a query needs besides its parameters: planned once per statement text and result shape. */
interface MeasurePlan {
  readonly plans: readonly PartPlan[];
  /** The measured query without its cells. */
  readonly shape: Omit<MeasuredQuery, 'cells'>;
}

/** Plans of measured queries by statement text (a product's template is measured on every call). */
export type MeasurePlanCache = Map<string, MeasurePlan | string>;
const PLAN_CACHE_SIZE = 256;

/** Measures every cell of an aggregate query, or says why it cannot. */
export async function measureQuery(
  con: DuckDBConnection,
  q: QueryResult,
  tenantHas: (table: string, column: string) => boolean,
  timeoutMs = CONTRIBUTORS_TIMEOUT_MS,
  cache?: MeasurePlanCache,
): Promise<MeasuredQuery> {
  const empty = (error: string): MeasuredQuery => ({ parts: [], cells: [], sources: [], running: [], error, tables: q.lineage?.tables ?? [] });
  const key = `${q.sql}\u0001${q.columns.join('\u0001')}`;
  let plan = cache?.get(key);
  if (!plan) {
    try {
      plan = await planQuery(con, q, tenantHas);
    } catch (err) {
      return empty(
        `the cells could not be measured: ${String((err as Error).message)
          .split('\n')[0]!
          .slice(0, 200)}`,
      );
    }
    if (cache) {
      if (cache.size >= PLAN_CACHE_SIZE) cache.delete(cache.keys().next().value!);
      cache.set(key, plan);
    }
  }
  if (typeof plan === 'string') return empty(plan);
  const cells: Cell[] = [];
  const timer = setTimeout(() => con.interrupt(), timeoutMs);
  try {
    for (const [i, p] of plan.plans.entries()) cells.push(...(await runPart(con, p, i, q.params)));
  } catch (err) {
    return empty(
      `the cells could not be measured: ${String((err as Error).message)
        .split('\n')[0]!
        .slice(0, 200)}`,
    );
  } finally {
    clearTimeout(timer);
  }
  return { ...plan.shape, cells };
}

/** Plans the measuring of a query from its syntax tree (no parameters needed), or says why it cannot be measured. */
async function planQuery(con: DuckDBConnection, q: QueryResult, tenantHas: (table: string, column: string) => boolean): Promise<MeasurePlan | string> {
  const empty = (error: string): string => error;
  const stmt = q.statement as Obj | null;
  if (!isObj(stmt) || !isObj(stmt.node)) return empty('the query could not be read');
  const c: Ctx = { tenantHas, t: new Templates(con), n: 0 };
  let top = stmt.node;
  let ctes = ctesOf(top, new Map());
  // Result column position → select item position in the measured node.
  let positions = q.columns.map((_, i) => i);
  const peeled = peel(top, new Map());
  if (peeled) {
    top = peeled.node;
    ctes = ctesOf(top, peeled.ctes);
    positions = peeled.map;
  }
  const nodes = partsOf(top);
  if (!nodes) return empty('a query shape the check does not measure');
  const running: number[] = [];
  const parts: { part: Part; dimPos: number[] }[] = [];
  const windowColumns: number[] = [];
  for (const n of nodes) {
    const list = (Array.isArray(n.select_list) ? n.select_list : []) as Obj[];
    if (list.some((it) => it.class === 'STAR')) return empty('a SELECT * in an aggregate query');
    const items = positions.map((p) => list[p]!);
    if (items.some((it) => !it)) return empty('result columns do not line up with the select list');
    if (aggregating(n)) {
      // Every item without an aggregate of its own groups the cells (GROUP BY ALL groups by them
      // all, scalar subqueries included); an aggregate inside such a subquery is judged apart.
      const dimPos = items.map((it, k) => (aggCalls(it).length === 0 ? k : -1)).filter((k) => k >= 0);
      parts.push({ part: { node: n, items }, dimPos });
      continue;
    }
    // Window aggregates over a record-level select: each partition is a cell.
    items.forEach((it, k) => {
      if (it.class !== 'WINDOW' || !AGGREGATE_FUNCTIONS.has(String(it.function_name).toLowerCase())) return;
      const ordered = Array.isArray(it.orders) && it.orders.length > 0;
      const framed = !(it.start === 'UNBOUNDED_PRECEDING' && (it.end === 'CURRENT_ROW_RANGE' || it.end === 'UNBOUNDED_FOLLOWING'));
      if (ordered || framed) running.push(k);
      const partitions = (Array.isArray(it.partitions) ? it.partitions : []) as Obj[];
      const call: Obj = {
        class: 'FUNCTION',
        type: 'FUNCTION',
        alias: '',
        function_name: it.function_name!,
        schema: '',
        catalog: '',
        children: it.children ?? [],
        filter: it.filter_expr ?? null,
        order_bys: { type: 'ORDER_MODIFIER', orders: [] },
        distinct: it.distinct ?? false,
        is_operator: false,
        export_state: false,
      };
      const synth: Obj = {
        ...clone(n),
        select_list: [...partitions.map((p) => clone(p)), call],
        group_expressions: partitions.map((p) => clone(p)),
        group_sets: [partitions.map((_, i) => i)],
        modifiers: [],
        qualify: null,
      };
      const synthItems = [...partitions, call];
      windowColumns[parts.length] = k;
      parts.push({ part: { node: synth, items: synthItems }, dimPos: partitions.map((_, i) => i) });
    });
    if (parts.length === 0) return empty('no aggregate to measure');
  }
  const plans: PartPlan[] = [];
  let sources: { kind: string; field: string }[] = [];
  for (const [i, { part, dimPos }] of parts.entries()) {
    const plan = await planPart(con, part, dimPos, ctes, c);
    if (typeof plan === 'string') return empty(plan);
    if (i === 0) sources = plan.units.map((u) => ({ kind: u.kind, field: u.field }));
    plans.push(plan);
  }
  const measured: MeasuredPart[] = parts.map(({ part, dimPos }, i) => {
    if (!aggregating(part.node)) {
      // A window part: one call, the window's column; its partitions are not result columns.
      const fn = plans[i]!.calls[0]!;
      return {
        dims: [],
        measures: [
          {
            column: windowColumns[i]!,
            aggs: [0],
            fns: [fn],
            kind: kindOf([fn]),
            countArithmetic: false,
            distinctCount: false,
            argFields: argFields(q, windowColumns[i]!),
          },
        ],
      };
    }
    let call = 0;
    const measures: MeasureItem[] = [];
    for (let k = 0; k < part.items.length; k++) {
      if (dimPos.includes(k)) continue;
      const item = part.items[k]!;
      const calls = aggCalls(item);
      const fns = calls.map((x) => String(x.function_name).toLowerCase());
      const aggs = fns.map(() => call++);
      const distinctCount = calls.some((x) => x.distinct === true);
      measures.push({
        column: k,
        aggs,
        fns,
        kind: fns.length === 0 ? 'magnitude' : kindOf(fns),
        countArithmetic: countArithmetic(item),
        distinctCount,
        argFields: argFields(q, k),
      });
    }
    return { dims: dimPos, measures };
  });
  return {
    plans,
    shape: {
      parts: measured,
      sources,
      running,
      tables: q.lineage?.tables ?? [],
      stages: plans.map((p) => ({ sql: p.sql, dims: p.dims, sources: p.sources, partials: p.partials, grouped: p.grouped })),
    },
  };
}
