// Column-level lineage of one statement, read from DuckDB's own syntax tree: for each result
// column (by position), which catalog columns it comes from and how (identity, transformation,
// aggregation), and which columns filter, join, group or order the rows. Names follow
// OpenLineage's transformation types (DIRECT/INDIRECT with a subtype).
//
// Names are resolved through scopes, never guessed: a CTE or a derived table named like a
// catalog table is followed to what it really selects, and a reference that cannot be resolved
// (an ambiguous name, a table function, a shape not followed) marks the column `unknown`, so a
// reader that needs certainty fails closed instead of trusting a name.

import { AGGREGATE_FUNCTIONS } from './functions.ts';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

export interface InputColumn {
  readonly table: string;
  readonly column: string;
  readonly type: 'DIRECT' | 'INDIRECT';
  readonly subtype: 'IDENTITY' | 'TRANSFORMATION' | 'AGGREGATION' | 'FILTER' | 'JOIN' | 'GROUP_BY' | 'SORT' | 'WINDOW';
}

/** One result column, by position. */
export interface ItemLineage {
  /** The column's name as DuckDB would give it (alias, column name), lower-case; '' when unnamed. */
  readonly name: string;
  readonly inputs: readonly InputColumn[];
  /** Some reference in it could not be resolved: its inputs are incomplete. */
  readonly unknown: boolean;
  /** It contains an aggregate (outside subqueries). */
  readonly aggregate: boolean;
  /** It contains a window function. */
  readonly window: boolean;
  /** It contains a scalar subquery. */
  readonly subquery: boolean;
}

export interface ColumnLineage {
  /** Named result column → its direct inputs. */
  readonly fields: Readonly<Record<string, readonly InputColumn[]>>;
  /** Columns that shape the whole result (filters, joins, grouping, ordering), at any depth. */
  readonly dataset: readonly InputColumn[];
  /** Every result column in order. */
  readonly items: readonly ItemLineage[];
  /** Some part of the statement could not be followed (the items say which). */
  readonly unknown: boolean;
  /** Catalog tables the statement reads, at any depth. */
  readonly tables: readonly string[];
}

/** Counting aggregates: what they return says how many, nothing of the values counted. */
export const COUNT_FUNCTIONS: ReadonlySet<string> = new Set(['count', 'count_star', 'approx_count_distinct', 'count_if', 'countif', 'regr_count']);
/** Model aggregates (two arguments, a fitted parameter). */
export const MODEL_FUNCTIONS: ReadonlySet<string> = new Set([
  'regr_slope',
  'regr_intercept',
  'regr_r2',
  'regr_sxx',
  'regr_syy',
  'regr_sxy',
  'regr_avgx',
  'regr_avgy',
  'corr',
  'covar_pop',
  'covar_samp',
]);
/**
 * Aggregates whose result is one or more of the input values themselves (one person's maximum,
 * a list of every value): their arguments are carried out, not summarised, and lineage says so
 * (TRANSFORMATION, not AGGREGATION) — a `string_agg` of tokens is as reversible as the tokens.
 */
export const VALUE_CARRYING_FUNCTIONS: ReadonlySet<string> = new Set([
  'min',
  'max',
  'first',
  'last',
  'any_value',
  'arg_min',
  'arg_max',
  'argmin',
  'argmax',
  'min_by',
  'max_by',
  'mode',
  'string_agg',
  'group_concat',
  'listagg',
  'list',
  'array_agg',
  'histogram',
]);
/** Window functions that return another row's value. */
const VALUE_WINDOWS: ReadonlySet<string> = new Set(['first_value', 'last_value', 'nth_value', 'lag', 'lead']);

export const isObj = (n: Json | undefined): n is Obj => !!n && typeof n === 'object' && !Array.isArray(n);

type Subtype = InputColumn['subtype'];
const RANK: Partial<Record<Subtype, number>> = { IDENTITY: 0, TRANSFORMATION: 1, AGGREGATION: 2 };

/** What a column of a FROM source holds: its inputs, or unknown. */
type SourceColumns = Map<string, { inputs: InputColumn[]; unknown: boolean; aggregate?: boolean }>;
interface Source {
  readonly alias: string;
  /** Columns in order; undefined when the source's columns are not known. */
  readonly columns: SourceColumns | undefined;
}
interface Env {
  readonly ctes: ReadonlyMap<string, NodeLineage>;
  readonly columnsOf: (table: string) => readonly string[];
  readonly tables: Set<string>;
}
interface NodeLineage {
  readonly items: ItemLineage[];
  readonly dataset: InputColumn[];
  readonly unknown: boolean;
}

/** Outer use composed with what the inner column already was: the stronger summary wins. */
function compose(outer: Subtype, inner: InputColumn): InputColumn {
  const o = RANK[outer];
  const i = RANK[inner.subtype];
  if (o === undefined || i === undefined)
    return { ...inner, subtype: outer, type: outer === 'IDENTITY' || outer === 'TRANSFORMATION' || outer === 'AGGREGATION' ? 'DIRECT' : 'INDIRECT' };
  return { ...inner, subtype: o >= i ? outer : inner.subtype };
}

function pushUnique(acc: InputColumn[], c: InputColumn): void {
  if (!acc.some((d) => d.table === c.table && d.column === c.column && d.subtype === c.subtype)) acc.push(c);
}

function cteScope(node: Obj, env: Env): Env {
  const map = isObj(node.cte_map) && Array.isArray(node.cte_map.map) ? node.cte_map.map : [];
  if (map.length === 0) return env;
  const ctes = new Map(env.ctes);
  for (const e of map) {
    if (!isObj(e) || !isObj(e.value)) continue;
    const key = String(e.key).toLowerCase();
    const q = isObj(e.value.query) ? e.value.query.node : null;
    // A recursive CTE refers to itself: while it is being read it is unknown.
    ctes.set(key, { items: [], dataset: [], unknown: true });
    const lin = isObj(q) ? nodeLineage(q, { ...env, ctes }) : { items: [], dataset: [], unknown: true };
    const aliases = Array.isArray(e.value.aliases) ? e.value.aliases.map((a) => String(a).toLowerCase()) : [];
    ctes.set(key, { ...lin, items: lin.items.map((it, i) => (aliases[i] ? { ...it, name: aliases[i]! } : it)) });
  }
  return { ...env, ctes };
}

function columnsFromLineage(lin: NodeLineage, renames: readonly string[]): SourceColumns {
  const cols: SourceColumns = new Map();
  lin.items.forEach((it, i) => {
    const name = renames[i] ?? it.name;
    if (name && !cols.has(name)) cols.set(name, { inputs: [...it.inputs], unknown: it.unknown, aggregate: it.aggregate });
  });
  return cols;
}

/** FROM clause → the sources in scope, and the dataset-level inputs the clause adds. */
function sourcesOf(from: Json, env: Env, dataset: InputColumn[], out: Source[] = []): { sources: Source[]; unknown: boolean } {
  let unknown = false;
  if (!isObj(from) || from.type === 'EMPTY') return { sources: out, unknown };
  const renames = Array.isArray(from.column_name_alias) ? from.column_name_alias.map((a) => String(a).toLowerCase()) : [];
  if (from.type === 'BASE_TABLE') {
    const name = String(from.table_name).toLowerCase();
    const alias = String(from.alias || from.table_name).toLowerCase();
    const cte = !from.schema_name && !from.catalog_name ? env.ctes.get(name) : undefined;
    if (cte) {
      cte.dataset.forEach((d) => pushUnique(dataset, d));
      out.push({ alias, columns: columnsFromLineage(cte, renames) });
      return { sources: out, unknown: cte.unknown };
    }
    env.tables.add(name);
    const cols: SourceColumns = new Map();
    env
      .columnsOf(name)
      .forEach((c, i) => cols.set(renames[i] ?? c, { inputs: [{ table: name, column: c, type: 'DIRECT', subtype: 'IDENTITY' }], unknown: false }));
    out.push({ alias, columns: cols });
    return { sources: out, unknown };
  }
  if (from.type === 'SUBQUERY' && isObj(from.subquery) && isObj(from.subquery.node)) {
    const lin = nodeLineage(from.subquery.node, env);
    lin.dataset.forEach((d) => pushUnique(dataset, d));
    out.push({ alias: String(from.alias ?? '').toLowerCase(), columns: columnsFromLineage(lin, renames) });
    return { sources: out, unknown: lin.unknown };
  }
  if (from.type === 'JOIN') {
    const l = sourcesOf(from.left ?? null, env, dataset, out);
    const r = sourcesOf(from.right ?? null, env, dataset, out);
    unknown = l.unknown || r.unknown;
    const scope = { sources: out, env };
    for (const ref of columnRefs(from.condition ?? null, env)) addIndirect(scope, ref, 'JOIN', dataset);
    for (const u of Array.isArray(from.using_columns) ? from.using_columns : []) {
      for (const s of out)
        for (const i of s.columns?.get(String(u).toLowerCase())?.inputs ?? []) pushUnique(dataset, { ...i, type: 'INDIRECT', subtype: 'JOIN' });
    }
    return { sources: out, unknown };
  }
  // Table functions (range, unnest …) and anything else: columns not known.
  out.push({ alias: String(from.alias ?? '').toLowerCase(), columns: undefined });
  return { sources: out, unknown: true };
}

interface Ref {
  readonly names: string[];
  readonly summarised: boolean;
  readonly counted: boolean;
  readonly carried: boolean;
}

interface Scope {
  readonly sources: readonly Source[];
  readonly env: Env;
}

function resolve(scope: Scope, names: string[]): { inputs: InputColumn[]; unknown: boolean; aggregate?: boolean | undefined } {
  const col = names[names.length - 1]!;
  if (names.length >= 2) {
    const rel = names[names.length - 2]!;
    const s = scope.sources.find((x) => x.alias === rel);
    if (!s?.columns) return { inputs: [], unknown: true };
    const c = s.columns.get(col);
    return c ? { inputs: c.inputs, unknown: c.unknown, aggregate: c.aggregate } : { inputs: [], unknown: true };
  }
  const owners = scope.sources.filter((s) => !s.columns || s.columns.has(col));
  if (owners.length !== 1 || !owners[0]!.columns) return { inputs: [], unknown: true };
  const c = owners[0]!.columns.get(col)!;
  return { inputs: c.inputs, unknown: c.unknown, aggregate: c.aggregate };
}

/** Column references in an expression with how they are used; subqueries are read as nested statements. */
function columnRefs(
  n: Json,
  env: Env,
  at: Omit<Ref, 'names'> = { summarised: false, counted: false, carried: false },
  acc: Ref[] = [],
  subs: Obj[] = [],
): Ref[] {
  if (Array.isArray(n)) {
    n.forEach((x) => columnRefs(x, env, at, acc, subs));
    return acc;
  }
  if (!isObj(n)) return acc;
  if (n.class === 'COLUMN_REF' && Array.isArray(n.column_names)) {
    acc.push({ names: (n.column_names as string[]).map((s) => String(s).toLowerCase()), ...at });
    return acc;
  }
  if (n.class === 'SUBQUERY') {
    subs.push(n);
    columnRefs(n.child ?? null, env, at, acc, subs);
    return acc;
  }
  let next = at;
  if (n.class === 'FUNCTION' || n.class === 'AGGREGATE') {
    const fn = String(n.function_name).toLowerCase();
    if (AGGREGATE_FUNCTIONS.has(fn)) {
      const carries = VALUE_CARRYING_FUNCTIONS.has(fn);
      next = { summarised: at.summarised || !carries, counted: at.counted || COUNT_FUNCTIONS.has(fn), carried: at.carried || carries };
    }
  }
  if (n.class === 'WINDOW') {
    const fn = String(n.function_name).toLowerCase();
    if (VALUE_WINDOWS.has(fn) || !AGGREGATE_FUNCTIONS.has(fn)) next = { ...at, carried: true };
    else
      next = {
        summarised: at.summarised || !VALUE_CARRYING_FUNCTIONS.has(fn),
        counted: at.counted || COUNT_FUNCTIONS.has(fn),
        carried: at.carried || VALUE_CARRYING_FUNCTIONS.has(fn),
      };
  }
  for (const v of Object.values(n)) columnRefs(v, env, next, acc, subs);
  return acc;
}

function addIndirect(scope: Scope, ref: Ref, subtype: Subtype, dataset: InputColumn[]): void {
  // HAVING count(x) >= 10 selects groups by their size, not by what x holds.
  if (ref.counted) return;
  for (const i of resolve(scope, ref.names).inputs) pushUnique(dataset, { table: i.table, column: i.column, type: 'INDIRECT', subtype });
}

function has(n: Json, pred: (o: Obj) => boolean): boolean {
  if (Array.isArray(n)) return n.some((x) => has(x, pred));
  if (!isObj(n)) return false;
  if (pred(n)) return true;
  if (n.class === 'SUBQUERY') return false;
  return Object.values(n).some((v) => has(v, pred));
}

export const hasAggregate = (n: Json): boolean =>
  has(n, (o) => (o.class === 'FUNCTION' || o.class === 'AGGREGATE') && AGGREGATE_FUNCTIONS.has(String(o.function_name).toLowerCase()));
export const hasWindow = (n: Json): boolean => has(n, (o) => o.class === 'WINDOW');
export const hasSubquery = (n: Json): boolean => {
  const found: Obj[] = [];
  const walk = (x: Json): void => {
    if (Array.isArray(x)) {
      x.forEach(walk);
      return;
    }
    if (!isObj(x)) return;
    if (x.class === 'SUBQUERY') found.push(x);
    Object.values(x).forEach(walk);
  };
  walk(n);
  return found.length > 0;
};

/** A result column's name as DuckDB would give it (alias, column name), lower-case; '' when unnamed. */
export function itemName(item: Obj): string {
  if (item.alias) return String(item.alias).toLowerCase();
  if (item.class === 'COLUMN_REF' && Array.isArray(item.column_names)) return String(item.column_names.at(-1)).toLowerCase();
  return '';
}

function itemLineage(item: Obj, scope: Scope, dataset: InputColumn[]): ItemLineage {
  const subs: Obj[] = [];
  const refs = columnRefs(item, scope.env, undefined, [], subs);
  const identity = item.class === 'COLUMN_REF';
  let unknown = false;
  // A column of a derived table or CTE that holds an aggregate keeps that nature.
  let aggregate = hasAggregate(item);
  const inputs: InputColumn[] = [];
  for (const r of refs) {
    const res = resolve(scope, r.names);
    unknown ||= res.unknown;
    aggregate ||= !!res.aggregate;
    const use: Subtype = identity ? 'IDENTITY' : r.summarised && !r.carried ? 'AGGREGATION' : 'TRANSFORMATION';
    for (const i of res.inputs) pushUnique(inputs, compose(use, i));
  }
  // A scalar subquery's result carries what it selects; its filters shape the value too.
  for (const s of subs) {
    const node = isObj(s.subquery) ? s.subquery.node : null;
    if (!isObj(node)) {
      unknown = true;
      continue;
    }
    const lin = nodeLineage(node, scope.env);
    unknown ||= lin.unknown;
    aggregate ||= lin.items.some((it) => it.aggregate);
    for (const it of lin.items) for (const i of it.inputs) pushUnique(inputs, compose('TRANSFORMATION', i));
    lin.dataset.forEach((d) => pushUnique(dataset, d));
  }
  return { name: itemName(item), inputs, unknown, aggregate, window: hasWindow(item), subquery: subs.length > 0 };
}

function starItems(item: Obj, scope: Scope): ItemLineage[] | undefined {
  if (
    item.columns === true ||
    item.expr ||
    (Array.isArray(item.replace_list) && item.replace_list.length > 0) ||
    (Array.isArray(item.rename_list) && item.rename_list.length > 0)
  )
    return undefined;
  const rel = String(item.relation_name ?? '').toLowerCase();
  const exclude = new Set((Array.isArray(item.exclude_list) ? item.exclude_list : []).map((x) => String(x).toLowerCase()));
  const sources = rel ? scope.sources.filter((s) => s.alias === rel) : scope.sources;
  if (sources.length === 0 || sources.some((s) => !s.columns)) return undefined;
  const out: ItemLineage[] = [];
  for (const s of sources) {
    for (const [name, c] of s.columns!) {
      if (exclude.has(name)) continue;
      out.push({ name, inputs: c.inputs.map((i) => compose('IDENTITY', i)), unknown: c.unknown, aggregate: !!c.aggregate, window: false, subquery: false });
    }
  }
  return out;
}

function selectLineage(node: Obj, env: Env): NodeLineage {
  const dataset: InputColumn[] = [];
  const { sources, unknown: fromUnknown } = sourcesOf(node.from_table ?? null, env, dataset);
  const scope: Scope = { sources, env };
  let unknown = fromUnknown;
  const items: ItemLineage[] = [];
  for (const item of Array.isArray(node.select_list) ? node.select_list : []) {
    if (!isObj(item)) continue;
    if (item.class === 'STAR') {
      const expanded = starItems(item, scope);
      if (!expanded) {
        unknown = true;
        const all = sources.flatMap((s) => [...(s.columns?.values() ?? [])].flatMap((c) => c.inputs));
        items.push({ name: '', inputs: all, unknown: true, aggregate: false, window: false, subquery: false });
      } else items.push(...expanded);
      continue;
    }
    const it = itemLineage(item, scope, dataset);
    unknown ||= it.unknown;
    items.push(it);
  }
  const indirect = (n: Json, subtype: Subtype) => {
    const subs: Obj[] = [];
    for (const r of columnRefs(n, env, undefined, [], subs)) addIndirect(scope, r, subtype, dataset);
    for (const s of subs) {
      const sub = isObj(s.subquery) ? s.subquery.node : null;
      if (!isObj(sub)) continue;
      const lin = nodeLineage(sub, env);
      for (const it of lin.items) for (const i of it.inputs) pushUnique(dataset, { table: i.table, column: i.column, type: 'INDIRECT', subtype });
      lin.dataset.forEach((d) => pushUnique(dataset, d));
    }
  };
  indirect(node.where_clause ?? null, 'FILTER');
  indirect(node.having ?? null, 'FILTER');
  indirect(node.qualify ?? null, 'FILTER');
  indirect(node.group_expressions ?? null, 'GROUP_BY');
  for (const item of Array.isArray(node.select_list) ? node.select_list : []) {
    // An aggregate's FILTER chooses the rows it reads.
    if (isObj(item)) walkFilters(item, (f) => indirect(f, 'FILTER'));
  }
  for (const m of Array.isArray(node.modifiers) ? node.modifiers : []) {
    if (!isObj(m)) continue;
    if (m.type === 'ORDER_MODIFIER') indirect(m.orders ?? null, 'SORT');
    // A LIMIT chooses rows too (by order, or by whatever DuckDB returns first).
    if (m.type === 'LIMIT_MODIFIER' || m.type === 'LIMIT_PERCENT_MODIFIER') unknown ||= hasSubquery(m);
  }
  return { items, dataset, unknown };
}

function walkFilters(n: Json, fn: (filter: Json) => void): void {
  if (Array.isArray(n)) {
    n.forEach((x) => walkFilters(x, fn));
    return;
  }
  if (!isObj(n) || n.class === 'SUBQUERY') return;
  if ((n.class === 'FUNCTION' || n.class === 'AGGREGATE') && n.filter) fn(n.filter);
  if (n.class === 'WINDOW' && n.filter_expr) fn(n.filter_expr);
  Object.values(n).forEach((v) => walkFilters(v, fn));
}

function nodeLineage(node: Obj, outer: Env): NodeLineage {
  const env = cteScope(node, outer);
  if (node.type === 'SELECT_NODE') return selectLineage(node, env);
  if (node.type === 'SET_OPERATION_NODE') {
    const parts = [node.left, node.right, ...(Array.isArray(node.children) ? node.children : [])].filter(isObj).map((c) => nodeLineage(c, env));
    if (parts.length === 0) return { items: [], dataset: [], unknown: true };
    const dataset: InputColumn[] = [];
    parts.forEach((p) => p.dataset.forEach((d) => pushUnique(dataset, d)));
    const width = Math.max(...parts.map((p) => p.items.length));
    const items: ItemLineage[] = Array.from({ length: width }, (_, i) => {
      const its = parts.map((p) => p.items[i]).filter((x): x is ItemLineage => !!x);
      const inputs: InputColumn[] = [];
      its.forEach((it) => it.inputs.forEach((c) => pushUnique(inputs, c)));
      return {
        name: parts[0]!.items[i]?.name ?? '',
        inputs,
        unknown: its.length < parts.length || its.some((it) => it.unknown),
        aggregate: its.some((it) => it.aggregate),
        window: its.some((it) => it.window),
        subquery: its.some((it) => it.subquery),
      };
    });
    return { items, dataset, unknown: parts.some((p) => p.unknown) };
  }
  return { items: [], dataset: [], unknown: true };
}

/**
 * `statement` is one element of json_serialize_sql's `statements`; `columnsOf(table)` lists a
 * catalog table's columns (to resolve unqualified names and stars). Returns null when the
 * statement is not a query.
 */
export function columnLineage(statement: Json, columnsOf: (table: string) => readonly string[]): ColumnLineage | null {
  const node = isObj(statement) ? statement.node : null;
  if (!isObj(node)) return null;
  const tables = new Set<string>();
  const lin = nodeLineage(node, { ctes: new Map(), columnsOf, tables });
  const fields: Record<string, InputColumn[]> = {};
  for (const it of lin.items) if (it.name && !fields[it.name]) fields[it.name] = [...it.inputs];
  for (const it of lin.items) for (const i of it.inputs) tables.add(i.table);
  for (const d of lin.dataset) tables.add(d.table);
  return { fields, dataset: lin.dataset, items: lin.items, unknown: lin.unknown, tables: [...tables].sort() };
}
