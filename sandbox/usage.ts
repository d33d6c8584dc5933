// Column usage levels propagated through one statement, read from DuckDB's own syntax tree
// (after SCQL's CCL derivation). Every value has a level: a catalog column starts at its level
// for the audience; a use the level allows turns the result into plaintext (a comparison of a
// compare-only column, a summarising aggregate of an aggregate-only one, a group key of a
// group-by-only one, an equality join of join keys, a filter on an encrypted column); any
// other use keeps the level, and mixing two different restrictions is unknown. What chooses the
// rows (WHERE, JOIN ON, GROUP BY, HAVING, QUALIFY, ORDER BY, DISTINCT ON) poisons every column
// of its query with what it still is. A result column that is not plaintext is refused.
//
// Names are resolved through scopes as DuckDB does (CTEs, derived tables, correlated
// references); what cannot be resolved or followed is unknown, and unknown is refused whenever
// the statement reads a restricted column.
import type { UsageLevel } from '../datasets/index.ts';
import { OpError } from '../errors/index.ts';
import { hasAggregate, isObj, itemName, VALUE_CARRYING_FUNCTIONS } from './columnLineage.ts';
import { AGGREGATE_FUNCTIONS } from './functions.ts';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

/** A derived level and the catalog column (table.column) that made it so ('' for plaintext). */
export interface Level {
  readonly level: UsageLevel | 'unknown';
  readonly from: string;
}

export interface ResultLevel extends Level {
  readonly name: string;
}

export type LevelOf = (table: string, column: string) => UsageLevel;

const P: Level = { level: 'plaintext', from: '' };
const unknown = (why: string): Level => ({ level: 'unknown', from: why });

const bare = (l: Level): Level => ({ level: l.level, from: l.from });

function combine(a: Level, b: Level): Level {
  return bare(combined(a, b));
}

function combined(a: Level, b: Level): Level {
  if (a.level === 'plaintext') return b;
  if (b.level === 'plaintext') return a;
  if (a.level === 'unknown') return a;
  if (b.level === 'unknown') return b;
  if (a.level === 'encrypted') return a;
  if (b.level === 'encrypted') return b;
  if (a.level === b.level) return a;
  return unknown(`${a.from} (${a.level}) mixed with ${b.from} (${b.level})`);
}

const all = (ls: readonly Level[]): Level => ls.reduce(combine, P);
/** The use `levels` allows turns the value into plaintext; any other keeps it. */
const unlock = (l: Level, ...levels: UsageLevel[]): Level => ((levels as string[]).includes(l.level) ? P : l);
const JOINABLE = new Set(['plaintext', 'join_key', 'encrypted']);

/** Groups resting on fewer distinct units than this are withheld when an aggregation reveals a restricted column. */
export const MIN_GROUP_UNITS = 3;

/** The aggregation's own unlock, remembered so the query gets its group floor. */
function unlockBy(l: Level, level: 'aggregate' | 'group_by', scope: Scope): Level {
  if (l.level !== level) return l;
  scope.unlocked?.add(l.from.split('.')[0]!);
  return P;
}

const RANKING = new Set(['row_number', 'rank', 'dense_rank', 'percent_rank', 'cume_dist', 'ntile', 'rank_dense']);
const COMPARE_OPERATORS = new Set(['COMPARE_IN', 'COMPARE_NOT_IN', 'OPERATOR_IS_NULL', 'OPERATOR_IS_NOT_NULL']);

interface Rel {
  readonly items: readonly ResultLevel[];
}
/** A query's columns, what chose its rows, and (for a correlated subquery) its outer keys. */
interface Levels {
  readonly items: readonly ResultLevel[];
  readonly poison: Level;
  readonly correlated: Level;
}
interface Source {
  readonly alias: string;
  /** Column name → level; undefined for a source whose columns are not named (a table function). */
  readonly cols: ReadonlyMap<string, Level> | undefined;
  /** What every column of an unnamed source is made of (its arguments). */
  readonly whole: Level;
}
interface Env {
  readonly ctes: ReadonlyMap<string, Rel>;
  readonly columnsOf: (table: string) => readonly string[];
  readonly levelOf: LevelOf;
  readonly restricted: { touched: boolean };
  /** Set when the statement may be rewritten with group floors: a table's unit-of-privacy column. */
  readonly unitOf?: ((table: string) => string | undefined) | undefined;
  readonly floors: { added: number; readonly nodes: WeakSet<Obj> };
}
interface Scope {
  readonly sources: readonly Source[];
  readonly parent: Scope | undefined;
  readonly env: Env;
  /** Levels of the outer columns this query refers to: a correlated subquery is one group per outer row. */
  readonly correlated?: Level[];
  /** Tables whose aggregate-only or group-by-only columns this query's aggregation revealed. */
  readonly unlocked?: Set<string>;
}
/** Expression context: inside a grouped SELECT, outside aggregates, group keys are revealed as keys. */
interface Ctx {
  readonly groupKeys: ReadonlySet<string> | undefined;
  readonly items?: readonly { readonly name: string; readonly expr: Obj }[];
}

/** Classes of the group keys, so most nodes are never serialised to be compared. */
const keyClasses = new WeakMap<ReadonlySet<string>, ReadonlySet<string>>();
function isGroupKey(n: Obj, keys: ReadonlySet<string>): boolean {
  let classes = keyClasses.get(keys);
  if (!classes) {
    classes = new Set([...keys].map((k) => String((JSON.parse(k) as Obj).class)));
    keyClasses.set(keys, classes);
  }
  return classes.has(String(n.class)) && keys.has(canonical(n));
}

const canonical = (n: Json): string => JSON.stringify(n, (k, v) => (k === 'query_location' || k === 'alias' ? undefined : v));

function lookup(scope: Scope | undefined, names: readonly string[]): Level | undefined {
  const found = lookupIn(scope, names);
  if (found && found.scope !== scope) scope?.correlated?.push(found.level);
  return found?.level;
}

function lookupIn(scope: Scope | undefined, names: readonly string[]): { level: Level; scope: Scope } | undefined {
  const at = (s: Scope, level: Level) => ({ level, scope: s });
  for (let s = scope; s; s = s.parent) {
    const col = names[names.length - 1]!;
    if (names.length >= 2) {
      const src = s.sources.find((x) => x.alias === names[names.length - 2]);
      if (src) return at(s, src.cols ? (src.cols.get(col) ?? unknown(`${names.join('.')} is not a column of ${src.alias}`)) : src.whole);
      continue;
    }
    const owners = s.sources.filter((x) => x.cols?.has(col));
    if (owners.length > 0) return at(s, all(owners.map((o) => o.cols!.get(col)!)));
    const unnamed = s.sources.filter((x) => !x.cols);
    if (unnamed.length > 0) return at(s, all(unnamed.map((u) => u.whole)));
  }
  return undefined;
}

function columnLevel(names: readonly string[], scope: Scope, ctx: Ctx): Level {
  const found = lookup(scope, names);
  if (found) return found;
  // A struct field (s.f) of a column s, or a SELECT alias used in GROUP BY / ORDER BY.
  if (names.length >= 2) {
    const base = lookup(scope, [names[0]!]);
    if (base) return base;
  }
  const item = names.length === 1 ? ctx.items?.find((i) => i.name === names[0]) : undefined;
  if (item) return expr(item.expr, scope, { ...ctx, items: undefined });
  return unknown(`the name ${names.join('.')} could not be resolved`);
}

function children(n: Obj): Json[] {
  return Array.isArray(n.children) ? n.children : [];
}

function aggregateLevel(n: Obj, fn: string, scope: Scope): Level {
  const rowCtx: Ctx = { groupKeys: undefined };
  const args = children(n).map((c) => expr(c, scope, rowCtx));
  // FILTER and ORDER BY inside an aggregate are part of what it summarises.
  const extra: Level[] = [];
  if (n.filter) extra.push(unlock(expr(n.filter, scope, rowCtx), 'encrypted', 'compare'));
  const orders = isObj(n.order_bys) && Array.isArray(n.order_bys.orders) ? n.order_bys.orders : [];
  for (const o of orders) if (isObj(o)) extra.push(unlock(expr(o.expression ?? null, scope, rowCtx), 'compare'));
  // How many there are says nothing of the values: count(x) of any column is plaintext.
  const plainRefs = children(n).every((c) => isObj(c) && c.class === 'COLUMN_REF');
  if ((fn === 'count' || fn === 'count_star' || fn === 'approx_count_distinct') && plainRefs) return unlockBy(all(extra), 'aggregate', scope);
  if (VALUE_CARRYING_FUNCTIONS.has(fn)) return all([...args, ...extra]);
  return unlockBy(all([...args, ...extra]), 'aggregate', scope);
}

function windowLevel(n: Obj, fn: string, scope: Scope): Level {
  const rowCtx: Ctx = { groupKeys: undefined };
  const args = [...children(n), n.offset_expr ?? null, n.default_expr ?? null].map((c) => expr(c, scope, rowCtx));
  const parts = (Array.isArray(n.partitions) ? n.partitions : []).map((p) => unlock(expr(p, scope, rowCtx), 'group_by'));
  const orders = (Array.isArray(n.orders) ? n.orders : []).map((o) => unlock(expr(isObj(o) ? (o.expression ?? null) : null, scope, rowCtx), 'compare'));
  const extra = [...parts, ...orders, expr(n.start_expr ?? null, scope, rowCtx), expr(n.end_expr ?? null, scope, rowCtx)];
  if (n.filter_expr) extra.push(unlock(expr(n.filter_expr, scope, rowCtx), 'encrypted', 'compare'));
  if (RANKING.has(fn)) return all([...args, ...extra]);
  // An aggregate window sums a partition for every row of it, however small (or a running frame):
  // no group floor can withhold a row, so it reveals nothing restricted. Counts are plaintext.
  const plainRefs = children(n).every((c) => isObj(c) && c.class === 'COLUMN_REF');
  const value = (fn === 'count' || fn === 'count_star') && plainRefs ? P : all(args);
  return all([value, ...extra]);
}

/** a = b of two columns that may both join: an equality join (plaintext), whatever the two hold. */
function isJoinEquality(n: Obj, scope: Scope, ctx: Ctx): boolean {
  if (n.type !== 'COMPARE_EQUAL' && n.type !== 'COMPARE_NOT_DISTINCT_FROM') return false;
  const side = (s: Json) => (isObj(s) && s.class === 'COLUMN_REF' ? expr(s, scope, ctx) : undefined);
  const l = side(n.left ?? null);
  const r = side(n.right ?? null);
  return !!l && !!r && JOINABLE.has(l.level) && JOINABLE.has(r.level);
}

function subqueryLevel(n: Obj, scope: Scope, ctx: Ctx): Level {
  const node = isObj(n.subquery) ? n.subquery.node : null;
  if (!isObj(node)) return unknown('a subquery could not be read');
  const rel = nodeLevels(node, scope);
  const item = all(withPoison(rel).items);
  const kind = String(n.subquery_type);
  if (kind === 'EXISTS' || kind === 'NOT_EXISTS') return unlock(rel.poison, 'encrypted', 'compare');
  if (kind === 'ANY') {
    const left = expr(n.child ?? null, scope, ctx);
    const single = rel.items.length === 1 ? rel.items[0]! : unknown('an IN subquery must select one column');
    // x IN (SELECT y …) of two join keys is a semi-join.
    if (n.comparison_type === 'COMPARE_EQUAL' && isObj(n.child) && n.child.class === 'COLUMN_REF' && JOINABLE.has(left.level) && JOINABLE.has(single.level))
      return rel.poison;
    return combine(unlock(combine(left, item), 'compare'), rel.poison);
  }
  return item;
}

function expr(n: Json, scope: Scope, ctx: Ctx): Level {
  if (Array.isArray(n)) return all(n.map((x) => expr(x, scope, ctx)));
  if (!isObj(n)) return P;
  if (ctx.groupKeys && isGroupKey(n, ctx.groupKeys)) return unlockBy(expr(n, scope, { ...ctx, groupKeys: undefined }), 'group_by', scope);
  switch (n.class) {
    case 'CONSTANT':
    case 'PARAMETER':
      return P;
    case 'COLUMN_REF': {
      const l = columnLevel(
        (n.column_names as string[]).map((s) => String(s).toLowerCase()),
        scope,
        ctx,
      );
      return l;
    }
    case 'COMPARISON':
      if (isJoinEquality(n, scope, ctx)) return P;
      return unlock(all([expr(n.left ?? null, scope, ctx), expr(n.right ?? null, scope, ctx)]), 'compare');
    case 'BETWEEN':
      return unlock(all([n.input ?? null, n.lower ?? null, n.upper ?? null].map((c) => expr(c, scope, ctx))), 'compare');
    case 'OPERATOR':
      if (COMPARE_OPERATORS.has(String(n.type))) return unlock(expr(children(n), scope, ctx), 'compare');
      return expr(children(n), scope, ctx);
    case 'CONJUNCTION':
    case 'CAST':
    case 'COLLATE':
      return all([expr(children(n), scope, ctx), expr(n.child ?? null, scope, ctx)]);
    case 'CASE': {
      const checks = Array.isArray(n.case_checks) ? n.case_checks : [];
      const ls = checks.flatMap((c) => (isObj(c) ? [expr(c.when_expr ?? null, scope, ctx), expr(c.then_expr ?? null, scope, ctx)] : []));
      return all([...ls, expr(n.else_expr ?? null, scope, ctx)]);
    }
    case 'FUNCTION':
    case 'AGGREGATE': {
      const fn = String(n.function_name).toLowerCase();
      if (AGGREGATE_FUNCTIONS.has(fn) && n.is_operator !== true) return aggregateLevel(n, fn, scope);
      return expr(children(n), scope, ctx);
    }
    case 'WINDOW':
      return windowLevel(n, String(n.function_name).toLowerCase(), scope);
    case 'SUBQUERY':
      return subqueryLevel(n, scope, ctx);
    default:
      return unknown(`an expression of class ${String(n.class)} is not followed`);
  }
}

function cteScope(node: Obj, scope: Scope): Scope {
  const map = isObj(node.cte_map) && Array.isArray(node.cte_map.map) ? node.cte_map.map : [];
  if (map.length === 0) return scope;
  const ctes = new Map(scope.env.ctes);
  for (const e of map) {
    if (!isObj(e) || !isObj(e.value)) continue;
    const key = String(e.key).toLowerCase();
    const q = isObj(e.value.query) ? e.value.query.node : null;
    const aliases = Array.isArray(e.value.aliases) ? e.value.aliases.map((a) => String(a).toLowerCase()) : [];
    const rename = (r: Rel): Rel => ({ items: r.items.map((it, i) => ({ ...it, name: aliases[i] ?? it.name })) });
    const evaluate = (): Rel => (isObj(q) ? rename(withPoison(nodeLevels(q, { ...scope, env: { ...scope.env, ctes } }))) : { items: [] });
    // A recursive CTE reads itself: start from plaintext columns and iterate to a fixed point.
    ctes.set(key, { items: aliases.map((name) => ({ name, ...P })) });
    let rel: Rel = { items: (aliases.length > 0 ? aliases : evaluate().items.map((it) => it.name)).map((name) => ({ name, ...P })) };
    for (let round = 0; round < 4; round++) {
      ctes.set(key, rel);
      const next = evaluate();
      const same = next.items.length === rel.items.length && next.items.every((it, i) => it.level === rel.items[i]!.level);
      rel = next;
      if (same) break;
      if (round === 3) rel = { items: rel.items.map((it) => ({ ...it, ...unknown(`the recursive CTE ${key} does not settle`) })) };
    }
    ctes.set(key, rel);
  }
  return { ...scope, env: { ...scope.env, ctes } };
}

/** The columns as the enclosing query sees them: what chose the rows, and the outer keys, stay with them. */
const withPoison = (r: Levels): Rel => ({ items: r.items.map((it) => ({ ...all([it, r.poison, r.correlated]), name: it.name })) });

function relSource(alias: string, rel: Rel, renames: readonly string[]): Source {
  const cols = new Map<string, Level>();
  rel.items.forEach((it, i) => {
    const name = renames[i] ?? it.name;
    if (name && !cols.has(name)) cols.set(name, it);
  });
  return { alias, cols, whole: all(rel.items) };
}

/** FROM → the sources in scope; join conditions poison like filters. */
function sourcesOf(from: Json, scope: Scope, poison: Level[], out: Source[] = []): Source[] {
  if (!isObj(from) || from.type === 'EMPTY') return out;
  const renames = Array.isArray(from.column_name_alias) ? from.column_name_alias.map((a) => String(a).toLowerCase()) : [];
  const alias = String(from.alias ?? '').toLowerCase();
  if (from.type === 'BASE_TABLE') {
    const name = String(from.table_name).toLowerCase();
    const cte = !from.schema_name && !from.catalog_name ? scope.env.ctes.get(name) : undefined;
    if (cte) {
      out.push(relSource(alias || name, cte, renames));
      return out;
    }
    const cols = new Map<string, Level>();
    scope.env.columnsOf(name).forEach((c, i) => {
      const level = scope.env.levelOf(name, c);
      if (level !== 'plaintext') scope.env.restricted.touched = true;
      cols.set(renames[i] ?? c, level === 'plaintext' ? P : { level, from: `${name}.${c}` });
    });
    out.push({ alias: alias || name, cols, whole: all([...cols.values()]) });
    return out;
  }
  if (from.type === 'SUBQUERY' && isObj(from.subquery) && isObj(from.subquery.node)) {
    // A LATERAL subquery sees the FROM items to its left.
    out.push(relSource(alias, withPoison(nodeLevels(from.subquery.node, { ...scope, sources: [...out] })), renames));
    return out;
  }
  if (from.type === 'JOIN') {
    sourcesOf(from.left ?? null, scope, poison, out);
    sourcesOf(from.right ?? null, scope, poison, out);
    const inner: Scope = { ...scope, sources: out };
    if (from.condition) poison.push(unlock(expr(from.condition, inner, { groupKeys: undefined }), 'encrypted', 'compare'));
    for (const u of Array.isArray(from.using_columns) ? from.using_columns : []) {
      const ls = out.filter((s) => s.cols?.has(String(u).toLowerCase())).map((s) => s.cols!.get(String(u).toLowerCase())!);
      if (!ls.every((l) => JOINABLE.has(l.level))) poison.push(all(ls));
    }
    return out;
  }
  if (from.type === 'TABLE_FUNCTION' || from.type === 'EXPRESSION_LIST') {
    const args =
      from.type === 'TABLE_FUNCTION'
        ? expr(from.function ?? null, { ...scope, sources: out }, { groupKeys: undefined })
        : expr(from.values ?? null, scope, { groupKeys: undefined });
    out.push({ alias, cols: undefined, whole: args });
    return out;
  }
  out.push({ alias, cols: undefined, whole: unknown(`a FROM item of type ${String(from.type)} is not followed`) });
  return out;
}

function starItems(item: Obj, scope: Scope): ResultLevel[] {
  if (item.columns === true || item.expr) return [{ name: '', ...unknown('COLUMNS(…) is not followed') }];
  const rel = String(item.relation_name ?? '').toLowerCase();
  const exclude = new Set((Array.isArray(item.exclude_list) ? item.exclude_list : []).map((x) => String(isObj(x) ? JSON.stringify(x) : x).toLowerCase()));
  const replace = new Map<string, Obj>();
  for (const r of Array.isArray(item.replace_list) ? item.replace_list : [])
    if (isObj(r) && isObj(r.second)) replace.set(String(r.first).toLowerCase(), r.second);
  const sources = rel ? scope.sources.filter((s) => s.alias === rel) : scope.sources;
  const out: ResultLevel[] = [];
  for (const s of sources) {
    if (!s.cols) {
      out.push({ name: '', ...s.whole });
      continue;
    }
    for (const [name, l] of s.cols) {
      if ([...exclude].some((e) => e === name || e.includes(`"${name}"`))) continue;
      const r = replace.get(name);
      out.push({ ...bare(r ? expr(r, scope, { groupKeys: undefined }) : l), name });
    }
  }
  if (sources.length === 0) out.push({ name: '', ...unknown(`* of ${rel || 'nothing'} is not followed`) });
  return out;
}

/** Group keys as canonical expressions: positions and SELECT aliases read as the items they name. */
function groupKeysOf(node: Obj, items: readonly { name: string; expr: Obj }[]): Set<string> | undefined {
  const groups = Array.isArray(node.group_expressions) ? node.group_expressions : [];
  const keys = new Set<string>();
  if (node.aggregate_handling === 'FORCE_AGGREGATES') for (const it of items) if (!hasAggregate(it.expr)) keys.add(canonical(it.expr));
  for (const g of groups) {
    if (!isObj(g)) continue;
    keys.add(canonical(g));
    const pos = g.class === 'CONSTANT' && isObj(g.value) ? Number(g.value.value) : NaN;
    if (Number.isInteger(pos) && items[pos - 1]) keys.add(canonical(items[pos - 1]!.expr));
    if (g.class === 'COLUMN_REF' && Array.isArray(g.column_names) && g.column_names.length === 1) {
      const named = items.find((i) => i.name === String((g.column_names as string[])[0]).toLowerCase() && !(i.expr.class === 'COLUMN_REF'));
      if (named) keys.add(canonical(named.expr));
    }
  }
  const grouped = keys.size > 0 || items.some((i) => hasAggregate(i.expr)) || !!node.having;
  return grouped ? keys : undefined;
}

function selectLevels(node: Obj, outer: Scope): Levels {
  const rowChoice: Level[] = [];
  const scope: Scope = { sources: [], parent: outer.sources.length > 0 || outer.parent ? outer : undefined, env: outer.env };
  const sources = sourcesOf(node.from_table ?? null, scope, rowChoice);
  const correlated: Level[] = [];
  const unlocked = new Set<string>();
  const inner: Scope = { ...scope, sources, correlated, unlocked };
  const list = (Array.isArray(node.select_list) ? node.select_list : []).filter(isObj);
  const named = list.map((e) => ({ name: itemName(e), expr: e }));
  const groupKeys = groupKeysOf(node, named);
  const ctx: Ctx = { groupKeys, items: named };
  const items: ResultLevel[] = [];
  for (const item of list) {
    if (item.class === 'STAR') items.push(...starItems(item, inner));
    else items.push({ ...bare(expr(item, inner, ctx)), name: itemName(item) });
  }
  const filter = (n: Json, c: Ctx) => unlock(expr(n, inner, c), 'encrypted', 'compare');
  if (node.where_clause) rowChoice.push(filter(node.where_clause, { groupKeys: undefined, items: named }));
  // Rows chosen before an aggregation are what it summarises: an aggregate-only residue is
  // summarised away; any other still poisons.
  const chosen = groupKeys ? unlockBy(all(rowChoice), 'aggregate', inner) : all(rowChoice);
  const after: Level[] = [chosen];
  if (node.having) after.push(filter(node.having, ctx));
  if (node.qualify) after.push(filter(node.qualify, ctx));
  for (const g of Array.isArray(node.group_expressions) ? node.group_expressions : [])
    after.push(unlock(expr(g, inner, { groupKeys: undefined, items: named }), 'group_by'));
  for (const m of Array.isArray(node.modifiers) ? node.modifiers : []) after.push(modifierLevel(m, inner, ctx));
  if (groupKeys && unlocked.size > 0 && outer.env.unitOf) addFloor(node, [...unlocked], sources, outer.env);
  // Each outer row is a group of a correlated subquery: its outer columns are keys of that group.
  return { items, poison: all(after), correlated: all(correlated.map((c) => unlock(c, 'group_by'))) };
}

const ref = (names: string[]): Obj => ({ class: 'COLUMN_REF', type: 'COLUMN_REF', alias: '', query_location: 0, column_names: names });
const constant = (v: number): Obj => ({
  class: 'CONSTANT',
  type: 'VALUE_CONSTANT',
  alias: '',
  query_location: 0,
  value: { type: { id: 'INTEGER', type_info: null }, is_null: false, value: v },
});
const count = (arg: Obj | null): Obj => ({
  class: 'FUNCTION',
  type: 'FUNCTION',
  alias: '',
  query_location: 0,
  function_name: arg ? 'count' : 'count_star',
  schema: '',
  catalog: '',
  children: arg ? [arg] : [],
  filter: null,
  order_bys: { type: 'ORDER_MODIFIER', orders: [] },
  distinct: !!arg,
  is_operator: false,
  export_state: false,
});

/**
 * SCQL's group floor: a grouped query that reveals an aggregate-only or group-by-only column
 * keeps only the groups resting on MIN_GROUP_UNITS distinct units of each such table (its unit of
 * privacy column where the query can see it, else rows) — per-person rows are not rebuilt from
 * group-by answers. The HAVING is added to DuckDB's own tree; the gate turns it back into SQL.
 */
function addFloor(node: Obj, tables: readonly string[], sources: readonly Source[], env: Env): void {
  // A CTE is read more than once (its names, a recursive fixed point): one floor per node.
  if (env.floors.nodes.has(node)) return;
  env.floors.nodes.add(node);
  const terms = tables.map((t) => {
    const unit = env.unitOf?.(t);
    const at = unit
      ? sources.flatMap((s) => [...(s.cols ?? new Map<string, Level>())].filter(([, l]) => l.from === `${t}.${unit}`).map(([name]) => [s.alias, name]))
      : [];
    // A table with units whose unit the query hid (a derived table without it) would be floored
    // by rows, which one person's rows can fill: refused, so the floor always counts people.
    if (unit && !at[0])
      throw new OpError(
        'SQL_USAGE_REFUSED',
        `this aggregation reveals restricted columns of ${t}, so its groups must rest on ${MIN_GROUP_UNITS} units: keep ${t}.${unit} in the derived table or CTE it reads from`,
        { level: 'group_floor', source: `${t}.${unit}` },
      );
    const arg = at[0] ? ref(at[0][0] ? [at[0][0], at[0][1]!] : [at[0][1]!]) : null;
    return {
      class: 'COMPARISON',
      type: 'COMPARE_GREATERTHANOREQUALTO',
      alias: '',
      query_location: 0,
      left: count(arg),
      right: constant(MIN_GROUP_UNITS),
    } as Obj;
  });
  const floor = terms.reduce((a, b) => ({ class: 'CONJUNCTION', type: 'CONJUNCTION_AND', alias: '', query_location: 0, children: [a, b] }));
  node.having = node.having ? { class: 'CONJUNCTION', type: 'CONJUNCTION_AND', alias: '', query_location: 0, children: [node.having, floor] } : floor;
  env.floors.added++;
}

function modifierLevel(m: Json, scope: Scope, ctx: Ctx): Level {
  if (!isObj(m)) return P;
  if (m.type === 'ORDER_MODIFIER') {
    const orders = Array.isArray(m.orders) ? m.orders : [];
    return all(
      orders.map((o) => {
        const e = isObj(o) ? (o.expression ?? null) : null;
        const pos = isObj(e) && e.class === 'CONSTANT' && isObj(e.value) ? Number(e.value.value) : NaN;
        const target = Number.isInteger(pos) && ctx.items?.[pos - 1] ? ctx.items[pos - 1]!.expr : e;
        return unlock(expr(target, scope, ctx), 'compare');
      }),
    );
  }
  if (m.type === 'DISTINCT_MODIFIER')
    return all((Array.isArray(m.distinct_on_targets) ? m.distinct_on_targets : []).map((t) => unlock(expr(t, scope, ctx), 'group_by')));
  return all([expr(m.limit ?? null, scope, ctx), expr(m.offset ?? null, scope, ctx)]);
}

function nodeLevels(node: Obj, outer: Scope): Levels {
  const scope = cteScope(node, outer);
  if (node.type === 'SELECT_NODE') return selectLevels(node, scope);
  if (node.type === 'SET_OPERATION_NODE' || node.type === 'RECURSIVE_CTE_NODE') {
    const parts = [node.left, node.right, ...(Array.isArray(node.children) ? node.children : [])].filter(isObj).map((c) => withPoison(nodeLevels(c, scope)));
    if (parts.length === 0) return { items: [], poison: unknown('an empty set operation'), correlated: P };
    const width = Math.max(...parts.map((p) => p.items.length));
    const items = Array.from({ length: width }, (_, i) => ({
      ...all(parts.map((p) => p.items[i] ?? unknown('branches of different widths'))),
      name: parts[0]!.items[i]?.name ?? '',
    }));
    // EXCEPT and INTERSECT keep left rows by what the right holds: the right side chooses rows.
    const chooses = String(node.setop_type ?? '').startsWith('EXCEPT') || String(node.setop_type ?? '').startsWith('INTERSECT');
    const modifiers = (Array.isArray(node.modifiers) ? node.modifiers : []).map((m) =>
      modifierLevel(m, { ...scope, sources: [relSource('', { items }, [])] }, { groupKeys: undefined }),
    );
    return { items, poison: all([...(chooses ? parts.slice(1).flatMap((p) => p.items) : []), ...modifiers]), correlated: P };
  }
  return { items: [], poison: unknown(`a query node of type ${String(node.type)} is not followed`), correlated: P };
}

/**
 * The level of every result column of `statement` (one element of json_serialize_sql's
 * statements) for one audience, and whether it read any restricted column at all.
 */
export function resultLevels(
  statement: Json,
  columnsOf: (table: string) => readonly string[],
  levelOf: LevelOf,
  unitOf?: (table: string) => string | undefined,
): { items: ResultLevel[]; restricted: boolean; floored?: Json } {
  // The group floor is written into a copy of the tree, never into the caller's.
  const tree = unitOf ? (structuredClone(statement) as Json) : statement;
  const node = isObj(tree) ? tree.node : null;
  if (!isObj(node)) return { items: [{ name: '', ...unknown('not a query') }], restricted: true };
  const env: Env = { ctes: new Map(), columnsOf, levelOf, restricted: { touched: false }, unitOf, floors: { added: 0, nodes: new WeakSet() } };
  const rel = withPoison(nodeLevels(node, { sources: [], parent: undefined, env }));
  // A statement that reads no restricted column reveals nothing restricted, whatever shape it has.
  const items = env.restricted.touched ? [...rel.items] : rel.items.map((it) => ({ name: it.name, ...P }));
  return { items, restricted: env.restricted.touched, ...(env.floors.added > 0 ? { floored: tree } : {}) };
}

const WHAT: Record<UsageLevel, string> = {
  plaintext: 'any use',
  join_key: 'equality joins and counts',
  group_by: 'GROUP BY keys and counts',
  compare: 'comparisons whose result is shown',
  aggregate: 'summarising aggregates (sum, avg, count …) and counts',
  encrypted: 'joins, filters and counts; it is never shown',
};

/** Throws SQL_USAGE_REFUSED naming the first result column that is not plaintext for the audience. */
export function checkUsage(
  statement: Json,
  columnsOf: (table: string) => readonly string[],
  levelOf: LevelOf,
  audience: string,
  unitOf?: (table: string) => string | undefined,
): { items: ResultLevel[]; floored?: Json } {
  const { items, floored } = resultLevels(statement, columnsOf, levelOf, unitOf);
  for (const [i, it] of items.entries()) {
    if (it.level === 'plaintext') continue;
    const col = it.name ? `"${it.name}"` : `#${i + 1}`;
    if (it.level === 'unknown')
      throw new OpError(
        'SQL_USAGE_REFUSED',
        `result column ${col} cannot be shown to the ${audience}: its usage level cannot be derived (${it.from}) and the query reads restricted columns`,
        { column: it.name || `#${i + 1}`, level: 'unknown' },
      );
    throw new OpError(
      'SQL_USAGE_REFUSED',
      `result column ${col} cannot be shown to the ${audience}: it comes from ${it.from}, whose usage level is ${it.level} (allowed: ${WHAT[it.level]})`,
      { column: it.name || `#${i + 1}`, level: it.level, source: it.from },
    );
  }
  return { items, ...(floored ? { floored } : {}) };
}

export function canUsage(
  statement: Json,
  columnsOf: (table: string) => readonly string[],
  levelOf: LevelOf,
  audience: string,
): { ok: true } | { ok: false; error: OpError } {
  try {
    checkUsage(statement, columnsOf, levelOf, audience);
    return { ok: true };
  } catch (err) {
    if (err instanceof OpError) return { ok: false, error: err };
    throw err;
  }
}
