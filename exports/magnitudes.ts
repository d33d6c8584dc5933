// Contributors behind magnitude and model cells. From an aggregate query's DuckDB syntax tree
// it derives a second query — the same FROM and WHERE, the grouping items and each aggregate's
// argument, no GROUP BY — and reads, per group, how many contribute and the largest of them.
// The derived query only drops parts of one the gate already allowed, and runs in the check
// environment (host side, tenant file read-only, external access off); only statistics leave it.
import type { DuckDBConnection } from '@duckdb/node-api';
import { AGGREGATE_FUNCTIONS, COUNT_FUNCTIONS, MODEL_FUNCTIONS } from '../sandbox/index.ts';
import { groupKey, type CellStats, type Magnitude } from './checks/index.ts';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };


const isObj = (n: Json): n is Obj => !!n && typeof n === 'object' && !Array.isArray(n);

function findAggregate(n: Json, names: ReadonlySet<string>): Obj | undefined {
  if (Array.isArray(n)) {
    for (const x of n) {
      const f = findAggregate(x, names);
      if (f) return f;
    }
    return undefined;
  }
  if (!isObj(n) || n.class === 'SUBQUERY') return undefined;
  if ((n.class === 'FUNCTION' || n.class === 'AGGREGATE') && names.has(String(n.function_name).toLowerCase())) return n;
  for (const v of Object.values(n)) {
    const f = findAggregate(v, names);
    if (f) return f;
  }
  return undefined;
}

function nameOf(item: Obj): string | undefined {
  if (item.alias) return String(item.alias);
  if (item.class === 'COLUMN_REF' && Array.isArray(item.column_names)) return String(item.column_names[item.column_names.length - 1]);
  return undefined;
}

interface Plan {
  readonly sql: string;
  readonly dims: string[];
  readonly measures: { measure: string; fn: string; model: boolean; cols: string[] }[];
}

// JSON.parse turns DuckDB's uint64 "no location" into a rounded double; put it back for the deserializer.
const NO_LOCATION_ROUNDED = '18446744073709552000';
const NO_LOCATION = '18446744073709551615';

/** The contributors query of one statement (json_serialize_sql's), or undefined when it has no magnitude column. */
export async function contributorsPlan(con: DuckDBConnection, tree: Obj): Promise<Plan | undefined> {
  const statement = (tree.statements as Json[] | undefined)?.[0] ?? null;
  if (!isObj(statement) || !isObj(statement.node ?? null)) return undefined;
  const node = statement.node as Obj;
  if (node.type !== 'SELECT_NODE' || !Array.isArray(node.select_list)) return undefined;
  const dims: { item: Obj; name: string }[] = [];
  const measures: Plan['measures'] = [];
  const values: Json[] = [];
  for (const raw of node.select_list) {
    if (!isObj(raw)) continue;
    const agg = findAggregate(raw, AGGREGATE_FUNCTIONS);
    const name = nameOf(raw);
    if (!agg) {
      dims.push({ item: raw, name: name ?? `__d${dims.length}` });
      continue;
    }
    const fn = String(agg.function_name).toLowerCase();
    if (COUNT_FUNCTIONS.has(fn) || !name || !Array.isArray(agg.children) || agg.children.length === 0) continue;
    const model = MODEL_FUNCTIONS.has(fn);
    const args = (model ? agg.children.slice(0, 2) : agg.children.slice(0, 1)) as Obj[];
    const cols = args.map((a, i) => `__v${measures.length}_${i}`);
    args.forEach((a, i) => values.push({ ...a, alias: cols[i]! }));
    measures.push({ measure: name, fn, model, cols });
  }
  if (measures.length === 0) return undefined;
  const copy = JSON.parse(JSON.stringify(tree)) as Obj;
  const n = ((copy.statements as Obj[])[0]!.node) as Obj;
  n.select_list = [...dims.map((d, i) => ({ ...d.item, alias: `__d${i}` })), ...values];
  n.group_expressions = [];
  n.group_sets = [];
  n.having = null;
  n.qualify = null;
  n.modifiers = [];
  n.aggregate_handling = 'STANDARD_HANDLING';
  const text = JSON.stringify(copy).replaceAll(NO_LOCATION_ROUNDED, NO_LOCATION);
  const r = await con.runAndReadAll('SELECT json_deserialize_sql($1::JSON) AS s', [text]);
  return { sql: String(r.getRowObjectsJS()[0]!.s), dims: dims.map((d) => d.name), measures };
}

/**
 * How long one contributors query may run on the host. The query it derives from completed
 * within the job's limits in the sandbox, so this only stops the pathological; a stopped
 * query leaves the cells to a reviewer (the rules answer review).
 */
export const CONTRIBUTORS_TIMEOUT_MS = 60_000;

/** Reads each measure's contributor statistics per group. */
export async function readMagnitudes(con: DuckDBConnection, plan: Plan, params: readonly (string | number | boolean | null)[], timeoutMs = CONTRIBUTORS_TIMEOUT_MS): Promise<Magnitude[]> {
  const dimCols = plan.dims.map((_, i) => `CAST(__d${i} AS VARCHAR)`);
  const out: Magnitude[] = [];
  for (const m of plan.measures) {
    const v = m.cols[0]!;
    const stats = m.model
      ? `count(*) FILTER (WHERE ${v} IS NOT NULL AND ${m.cols[1]} IS NOT NULL) AS n, 0::DOUBLE AS total, []::DOUBLE[] AS top, NULL::DOUBLE AS mn, NULL::DOUBLE AS mx`
      : `count(${v}) AS n, coalesce(sum(abs(TRY_CAST(${v} AS DOUBLE))), 0) AS total,
         list(abs(TRY_CAST(${v} AS DOUBLE)) ORDER BY abs(TRY_CAST(${v} AS DOUBLE)) DESC NULLS LAST)[1:5] AS top,
         min(TRY_CAST(${v} AS DOUBLE)) AS mn, max(TRY_CAST(${v} AS DOUBLE)) AS mx`;
    const dimSelect = dimCols.map((c, i) => `${c} AS __k${i}`);
    const sql = `SELECT ${[...dimSelect, stats].join(', ')} FROM (${plan.sql}) ${dimSelect.length > 0 ? `GROUP BY ${dimSelect.map((_, i) => i + 1).join(', ')}` : ''}`;
    const cells = new Map<string, CellStats>();
    const timer = setTimeout(() => con.interrupt(), timeoutMs);
    try {
      const r = await con.runAndReadAll(sql, params as never);
      for (const row of r.getRowObjectsJS()) {
        const key = groupKey(plan.dims.map((_, i) => row[`__k${i}`] as unknown));
        const top = ((row.top as unknown[] | null) ?? []).filter((x): x is number => typeof x === 'number');
        cells.set(key, { n: Number(row.n), total: Number(row.total), top, min: row.mn === null ? null : Number(row.mn), max: row.mx === null ? null : Number(row.mx) });
      }
      out.push({ measure: m.measure, fn: m.fn, model: m.model, dims: plan.dims, cells });
    } catch (err) {
      out.push({ measure: m.measure, fn: m.fn, model: m.model, dims: plan.dims, cells, error: String((err as Error).message).split('\n')[0]!.slice(0, 200) });
    } finally {
      clearTimeout(timer);
    }
  }
  return out;
}
