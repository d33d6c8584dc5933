// Column-level lineage of one SELECT, read from DuckDB's own syntax tree: for each output
// column, which input columns it comes from and how (identity, transformation, aggregation),
// and which columns filter, join, group or order the rows. Names follow OpenLineage's
// transformation types (DIRECT/INDIRECT with a subtype).

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

/** Aggregate functions (their arguments are aggregated, not carried through). */
export const AGGREGATE_FUNCTIONS: ReadonlySet<string> = new Set(['count', 'count_star', 'sum', 'avg', 'mean', 'min', 'max', 'median', 'quantile', 'quantile_cont', 'quantile_disc', 'mode', 'stddev', 'stddev_pop', 'stddev_samp', 'variance', 'var_pop', 'var_samp', 'string_agg', 'list', 'array_agg', 'first', 'last', 'any_value', 'arg_min', 'arg_max', 'min_by', 'max_by', 'approx_count_distinct', 'bool_and', 'bool_or', 'product', 'histogram', 'count_if']);

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

function columnRefs(n: Json, inAggregate = false, acc: { names: string[]; agg: boolean }[] = []): { names: string[]; agg: boolean }[] {
  if (Array.isArray(n)) {
    n.forEach((x) => columnRefs(x, inAggregate, acc));
    return acc;
  }
  if (!isObj(n)) return acc;
  if (n.class === 'COLUMN_REF' && Array.isArray(n.column_names)) {
    acc.push({ names: (n.column_names as string[]).map((s) => String(s).toLowerCase()), agg: inAggregate });
    return acc;
  }
  if (n.class === 'SUBQUERY') return acc;
  const agg = inAggregate || ((n.class === 'FUNCTION' || n.class === 'AGGREGATE') && AGGREGATE_FUNCTIONS.has(String(n.function_name).toLowerCase()));
  for (const v of Object.values(n)) columnRefs(v, agg, acc);
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
      return c ? [{ ...c, type: 'DIRECT' as const, subtype: identity ? ('IDENTITY' as const) : r.agg ? ('AGGREGATION' as const) : ('TRANSFORMATION' as const) }] : [];
    });
  }
  const dataset: InputColumn[] = [];
  const indirect = (n: Json, subtype: InputColumn['subtype']) => {
    for (const r of columnRefs(n)) {
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
