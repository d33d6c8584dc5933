// Column-level lineage of one SELECT, read from DuckDB's own syntax tree: for each output
// column, which input columns it comes from and how (identity, transformation, aggregation),
// and which columns filter, join, group or order the rows. Names follow OpenLineage's
// transformation types (DIRECT/INDIRECT with a subtype).

import { AGGREGATE_FUNCTIONS } from './functions.ts';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export interface InputColumn {
  readonly table: string;
  readonly column: string;
  readonly type: 'DIRECT' | 'INDIRECT';
  readonly subtype: 'IDENTITY' | 'TRANSFORMATION' | 'AGGREGATION' | 'FILTER' | 'JOIN' | 'GROUP_BY' | 'SORT' | 'WINDOW';
}

export interface ColumnLineage {
  /** Output column → its direct inputs. */
  readonly fields: Readonly<Record<string, readonly InputColumn[]>>;
  /** Columns that shape the whole result (filters, joins, grouping, ordering). */
  readonly dataset: readonly InputColumn[];
}

/** Counting aggregates: what they return says how many, nothing of the values counted. */
export const COUNT_FUNCTIONS: ReadonlySet<string> = new Set(['count', 'count_star', 'approx_count_distinct', 'count_if', 'countif', 'regr_count']);
/** Model aggregates (two arguments, a fitted parameter). */
export const MODEL_FUNCTIONS: ReadonlySet<string> = new Set(['regr_slope', 'regr_intercept', 'regr_r2', 'regr_sxx', 'regr_syy', 'regr_sxy', 'regr_avgx', 'regr_avgy', 'corr', 'covar_pop', 'covar_samp']);
/**
 * Aggregates whose result is one or more of the input values themselves (one person's maximum,
 * a list of every value): their arguments are carried out, not summarised, and lineage says so
 * (TRANSFORMATION, not AGGREGATION) — a `string_agg` of tokens is as reversible as the tokens.
 */
export const VALUE_CARRYING_FUNCTIONS: ReadonlySet<string> = new Set(['min', 'max', 'first', 'last', 'any_value', 'arg_min', 'arg_max', 'argmin', 'argmax', 'min_by', 'max_by', 'mode', 'string_agg', 'group_concat', 'listagg', 'list', 'array_agg', 'histogram']);


function isObj(n: Json): n is { [k: string]: Json } {
  return !!n && typeof n === 'object' && !Array.isArray(n);
}

/** Table references of a FROM clause: alias (or name) → base table name. */
function tablesOf(from: Json, out = new Map<string, string>()): Map<string, string> {
  if (!isObj(from)) return out;
  if (from.type === 'BASE_TABLE') {
    const name = String(from.table_name).toLowerCase();
    out.set(String(from.alias || from.table_name).toLowerCase(), name);
  } else if (from.type === 'JOIN') {
    tablesOf(from.left ?? null, out);
    tablesOf(from.right ?? null, out);
  }
  return out;
}

/** How a column reference sits: under a summarising aggregate, and under a counting one. */
interface RefContext {
  readonly summarised: boolean;
  readonly counted: boolean;
}

function columnRefs(n: Json, at: RefContext = { summarised: false, counted: false }, acc: ({ names: string[] } & RefContext)[] = []): ({ names: string[] } & RefContext)[] {
  if (Array.isArray(n)) {
    n.forEach((x) => columnRefs(x, at, acc));
    return acc;
  }
  if (!isObj(n)) return acc;
  if (n.class === 'COLUMN_REF' && Array.isArray(n.column_names)) {
    acc.push({ names: (n.column_names as string[]).map((s) => String(s).toLowerCase()), ...at });
    return acc;
  }
  if (n.class === 'SUBQUERY') return acc;
  let next = at;
  if (n.class === 'FUNCTION' || n.class === 'AGGREGATE') {
    const fn = String(n.function_name).toLowerCase();
    if (AGGREGATE_FUNCTIONS.has(fn)) next = { summarised: at.summarised || !VALUE_CARRYING_FUNCTIONS.has(fn), counted: at.counted || COUNT_FUNCTIONS.has(fn) };
  }
  for (const v of Object.values(n)) columnRefs(v, next, acc);
  return acc;
}

/**
 * `statement` is one element of json_serialize_sql's `statements`; `columnsOf(table)` lists a
 * granted table's columns (to resolve unqualified names). Returns null for shapes it does not
 * follow (set operations, SELECT *), where only table-level lineage is recorded.
 */
export function columnLineage(statement: Json, columnsOf: (table: string) => readonly string[]): ColumnLineage | null {
  const node = isObj(statement) ? statement.node : null;
  if (!isObj(node) || node.type !== 'SELECT_NODE') return null;
  const tables = tablesOf(node.from_table ?? null);
  const resolve = (names: string[]): { table: string; column: string } | null => {
    if (names.length >= 2) {
      const table = tables.get(names[names.length - 2]!);
      return table ? { table, column: names[names.length - 1]! } : null;
    }
    const col = names[0]!;
    const owners = [...new Set(tables.values())].filter((t) => columnsOf(t).includes(col));
    return owners.length === 1 ? { table: owners[0]!, column: col } : null;
  };
  const fields: Record<string, InputColumn[]> = {};
  const list = Array.isArray(node.select_list) ? node.select_list : [];
  for (const item of list) {
    if (!isObj(item)) continue;
    if (item.class === 'STAR') return null;
    const refs = columnRefs(item);
    const outName = String(item.alias || (item.class === 'COLUMN_REF' && Array.isArray(item.column_names) ? (item.column_names as string[]).at(-1) : '') || '').toLowerCase();
    if (!outName) continue;
    const identity = item.class === 'COLUMN_REF';
    fields[outName] = refs.flatMap((r) => {
      const c = resolve(r.names);
      return c ? [{ ...c, type: 'DIRECT' as const, subtype: identity ? ('IDENTITY' as const) : r.summarised ? ('AGGREGATION' as const) : ('TRANSFORMATION' as const) }] : [];
    });
  }
  const dataset: InputColumn[] = [];
  const indirect = (n: Json, subtype: InputColumn['subtype']) => {
    // HAVING count(x) >= 10 selects groups by their size, not by what x holds.
    for (const r of columnRefs(n)) {
      if (r.counted) continue;
      const c = resolve(r.names);
      if (c && !dataset.some((d) => d.table === c.table && d.column === c.column && d.subtype === subtype)) dataset.push({ ...c, type: 'INDIRECT', subtype });
    }
  };
  indirect(node.where_clause ?? null, 'FILTER');
  indirect(node.having ?? null, 'FILTER');
  indirect(node.qualify ?? null, 'FILTER');
  indirect(node.group_expressions ?? null, 'GROUP_BY');
  const joins = (f: Json): void => {
    if (!isObj(f) || f.type !== 'JOIN') return;
    indirect(f.condition ?? null, 'JOIN');
    for (const u of Array.isArray(f.using_columns) ? f.using_columns : []) {
      for (const t of new Set(tables.values())) if (columnsOf(t).includes(String(u).toLowerCase())) dataset.push({ table: t, column: String(u).toLowerCase(), type: 'INDIRECT', subtype: 'JOIN' });
    }
    joins(f.left ?? null);
    joins(f.right ?? null);
  };
  joins(node.from_table ?? null);
  for (const m of Array.isArray(node.modifiers) ? node.modifiers : []) if (isObj(m) && m.type === 'ORDER_MODIFIER') indirect(m.orders ?? null, 'SORT');
  return { fields, dataset };
}
