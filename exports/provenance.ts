// Provenance by content: every output column is tied to the query result it came from by its
// values, never by its name. The check re-runs the job's allowed queries on the tenant file
// (host side, read-only) and looks for one query whose result contains the output's rows, the
// columns mapped one to one: a renamed column is still found, a column the script made, changed
// or chose (constants, arithmetic, values moved between rows) is found in no result and is
// *script-derived*. A script-derived column may carry anything the job read, so it inherits the
// most sensitive provenance of the whole job and never passes.
import { createHash } from 'node:crypto';
import type { DuckDBConnection } from '@duckdb/node-api';
import { findDataset } from '../datasets/index.ts';
import { columnLineage, hasAggregate, rowsOf, type ColumnLineage, type InputColumn, type ItemLineage } from '../sandbox/index.ts';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type Param = string | number | boolean | null;
/** Positional ($1 …) or named ($name) parameters, as DuckDB binds them. */
export type Params = readonly Param[] | Readonly<Record<string, Param>>;

/** A query the job ran, re-run by the check. */
export interface QueryResult {
  readonly index: number;
  readonly sql: string;
  readonly params: Params;
  /** json_serialize_sql's statement (the measuring query is derived from it). */
  readonly statement: Json;
  readonly lineage: ColumnLineage | null;
  readonly columns: readonly string[];
  /** Rows as the sandbox gave them to the script (same conversion); undefined when not re-run. */
  readonly rows: readonly (readonly unknown[])[] | undefined;
  /** Why the rows were not re-read (too large, failed). */
  readonly skipped?: string;
}

export interface ColumnProvenance {
  readonly name: string;
  /** The query result column the values are, or null: script-derived. */
  readonly source: { readonly query: number; readonly column: number; readonly name: string } | null;
  /** Catalog inputs (table.column with how they are used); for a script-derived column, everything the job read. */
  readonly inputs: readonly InputColumn[];
  /** Lineage of the source column is incomplete (the query shape was not followed). */
  readonly unknown: boolean;
}

export interface Provenance {
  readonly columns: readonly ColumnProvenance[];
  /** The query the output's rows are a part of, if any column is tied. */
  readonly query: QueryResult | null;
  /** record: one row per record of the source; aggregate: rows are cells of an aggregate. */
  readonly shape: 'record' | 'aggregate';
  /** The output has fewer rows than its query's result (the script dropped some). */
  readonly rowsDropped: boolean;
  /** Catalog fields whose values reached the script row by row (identity or transformation). */
  readonly carried: readonly InputColumn[];
  readonly queries: readonly QueryResult[];
}

/** Rows the check re-reads at most, over all of a job's queries (beyond, a query is not matched: fail closed). */
export const MAX_RERUN_ROWS = 3_000_000;

const columnsOf = (t: string) => (findDataset(t)?.fields ?? []).map((f) => f.name);

/** A canonical text for one cell value, the same for the script's copy and the check's re-read. */
export function valueKey(v: unknown): string {
  if (v === null || v === undefined) return 'N';
  if (typeof v === 'number') return Number.isFinite(v) ? `n${Object.is(v, -0) ? 0 : v}` : 'N';
  if (typeof v === 'bigint') return `n${Number(v)}`;
  if (typeof v === 'boolean') return `b${v}`;
  if (typeof v === 'string') return `s${v}`;
  return `j${JSON.stringify(v)}`;
}

async function parse(con: DuckDBConnection, sql: string): Promise<Json> {
  const r = await con.runAndReadAll('SELECT json_serialize_sql($1::VARCHAR) AS j', [sql]);
  const tree = JSON.parse(String(r.getRowObjectsJS()[0]!.j)) as { statements?: Json[] };
  return tree.statements?.[0] ?? null;
}

export interface RecordedQuery {
  readonly sql: string;
  readonly params?: Params;
  readonly rowCount?: number | undefined;
  /** The host's sha256 of the rows sql() gave the script (JSON of row objects, in order). */
  readonly resultHash?: string | undefined;
}

/** The hash the sandbox's host recorded for a result, computed over the output as if it were one. */
function hashAsResult(output: { columns: readonly { name: string }[]; rows: readonly (readonly unknown[])[] }): string {
  const names = output.columns.map((c) => c.name);
  return createHash('sha256')
    .update(JSON.stringify(output.rows.map((r) => Object.fromEntries(names.map((n, j) => [n, r[j]])))))
    .digest('hex');
}

/**
 * Re-runs the job's queries on the tenant file. An output passed through from one sql() call
 * unchanged is recognised by the result hash the host recorded when it handed the rows to the
 * script (not by anything the script says), and needs no re-run.
 */
/** Statement trees and column lineage by SQL text (both depend on the text only). */
export type ParsedCache = Map<string, { statement: Json; lineage: ColumnLineage | null }>;

export async function rerunQueries(
  con: DuckDBConnection,
  queries: readonly RecordedQuery[],
  output?: { columns: readonly { name: string }[]; rows: readonly (readonly unknown[])[] },
  maxRows = MAX_RERUN_ROWS,
  parsed?: ParsedCache,
): Promise<QueryResult[]> {
  let budget = maxRows;
  const out: QueryResult[] = [];
  const passed = output ? hashAsResult(output) : undefined;
  for (const [index, q] of queries.entries()) {
    let known = parsed?.get(q.sql);
    if (!known) {
      const tree = await parse(con, q.sql);
      known = { statement: tree, lineage: tree ? columnLineage(tree, columnsOf) : null };
      if (parsed && parsed.size < 256) parsed.set(q.sql, known);
    }
    const { statement, lineage } = known;
    const params = q.params ?? [];
    const base = { index, sql: q.sql, params, statement, lineage };
    if (output && passed === q.resultHash && q.rowCount === output.rows.length) {
      out.push({ ...base, columns: output.columns.map((c) => c.name), rows: output.rows });
      continue;
    }
    if (q.rowCount !== undefined && q.rowCount > budget) {
      out.push({ ...base, columns: [], rows: undefined, skipped: `${q.rowCount} rows is more than the check re-reads` });
      continue;
    }
    try {
      const reader = await con.streamAndReadUntil(q.sql, budget + 1, params as never);
      if (reader.currentRowCount > budget) throw new Error('more rows than the check re-reads');
      budget -= reader.currentRowCount;
      const names = reader.deduplicatedColumnNames();
      const rows = rowsOf(reader).map((r) => names.map((n) => r[n]));
      out.push({ ...base, columns: names, rows });
    } catch (err) {
      out.push({
        ...base,
        columns: [],
        rows: undefined,
        skipped: String((err as Error).message)
          .split('\n')[0]!
          .slice(0, 200),
      });
    }
  }
  return out;
}

/** Output column j → candidate columns of a query whose values include every value of j. */
function candidates(output: readonly (readonly unknown[])[], width: number, q: QueryResult): number[][] {
  const rows = q.rows ?? [];
  const outSets = Array.from({ length: width }, (_, j) => new Set(output.map((r) => valueKey(r[j]))));
  const qSets = q.columns.map((_, k) => new Set(rows.map((r) => valueKey(r[k]))));
  return outSets.map((os) => q.columns.map((_, k) => k).filter((k) => [...os].every((v) => qSets[k]!.has(v))));
}

/** Whether the output's rows, on the mapped columns, are a sub-multiset of the query's rows. */
function rowsContained(output: readonly (readonly unknown[])[], q: QueryResult, mapping: readonly (number | null)[]): boolean {
  const pairs = mapping.map((k, j) => [j, k] as const).filter((p): p is readonly [number, number] => p[1] !== null);
  if (pairs.length === 0) return false;
  const counts = new Map<string, number>();
  for (const r of q.rows ?? []) {
    const key = pairs.map(([, k]) => valueKey(r[k])).join('\u0001');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  for (const r of output) {
    const key = pairs.map(([j]) => valueKey(r[j])).join('\u0001');
    const n = counts.get(key) ?? 0;
    if (n === 0) return false;
    counts.set(key, n - 1);
  }
  return true;
}

const MAX_COMBINATIONS = 64;

/** The largest one-to-one mapping of output columns to one query's columns under which the rows are contained. */
function bestMapping(output: readonly (readonly unknown[])[], width: number, q: QueryResult): (number | null)[] {
  const cands = candidates(output, width, q);
  let active = cands.map((c, j) => (c.length > 0 ? j : -1)).filter((j) => j >= 0);
  while (active.length > 0) {
    const found = search(output, q, cands, active);
    if (found) return found;
    // Drop the column whose absence lets the rest be contained; else the most ambiguous one.
    let dropped = false;
    for (const j of active) {
      const rest = active.filter((x) => x !== j);
      if (rest.length > 0 && search(output, q, cands, rest)) {
        active = rest;
        dropped = true;
        break;
      }
    }
    if (!dropped) active = active.slice(0, -1);
  }
  return Array.from({ length: width }, () => null);
}

function search(output: readonly (readonly unknown[])[], q: QueryResult, cands: number[][], active: readonly number[]): (number | null)[] | undefined {
  let tried = 0;
  const mapping: (number | null)[] = cands.map(() => null);
  const used = new Set<number>();
  const step = (i: number): boolean => {
    if (i === active.length) {
      tried++;
      return rowsContained(output, q, mapping);
    }
    const j = active[i]!;
    for (const k of cands[j]!) {
      if (used.has(k) || tried >= MAX_COMBINATIONS) continue;
      used.add(k);
      mapping[j] = k;
      if (step(i + 1)) return true;
      used.delete(k);
      mapping[j] = null;
    }
    return false;
  };
  return step(0) ? mapping : undefined;
}

type Node = { [k: string]: Json };
const isNode = (n: Json | undefined): n is Node => !!n && typeof n === 'object' && !Array.isArray(n);

function ctesOf(node: Node, outer: ReadonlyMap<string, Node>): Map<string, Node> {
  const m = new Map(outer);
  const map = isNode(node.cte_map) && Array.isArray(node.cte_map.map) ? node.cte_map.map : [];
  for (const e of map)
    if (isNode(e) && isNode(e.value) && isNode(e.value.query) && isNode(e.value.query.node)) m.set(String(e.key).toLowerCase(), e.value.query.node);
  return m;
}

/**
 * Whether the query's rows are cells of an aggregate: its top aggregates (GROUP BY, aggregates in
 * the select list), or passes one through (a plain projection of a derived table or CTE that
 * does, a set operation of such). A record-level select with a window or a scalar-subquery
 * aggregate beside its columns still returns one row per record: k-anonymity judges it.
 */
function rowsAreCells(node: Json, outer: ReadonlyMap<string, Node> = new Map()): boolean {
  if (!isNode(node)) return false;
  const ctes = ctesOf(node, outer);
  if (node.type === 'SET_OPERATION_NODE') return [node.left, node.right].every((n) => rowsAreCells(n ?? null, ctes));
  if (node.type !== 'SELECT_NODE') return false;
  const list = Array.isArray(node.select_list) ? node.select_list : [];
  if (
    (Array.isArray(node.group_expressions) && node.group_expressions.length > 0) ||
    node.aggregate_handling === 'FORCE_AGGREGATES' ||
    list.some((i) => hasAggregate(i))
  )
    return true;
  const plain = list.every((i) => isNode(i) && (i.class === 'COLUMN_REF' || (i.class === 'STAR' && !i.relation_name)));
  const from = node.from_table;
  if (!plain || !isNode(from)) return false;
  if (from.type === 'SUBQUERY' && isNode(from.subquery)) return rowsAreCells(from.subquery.node ?? null, ctes);
  if (from.type === 'BASE_TABLE' && !from.schema_name) return rowsAreCells(ctes.get(String(from.table_name).toLowerCase()) ?? null, ctes);
  return false;
}

/** The query has aggregate values to measure: cells, or windows and subquery aggregates beside records. */
export function hasAggregates(q: QueryResult): boolean {
  return rowsAreCells(isNode(q.statement) ? (q.statement.node ?? null) : null) || (q.lineage?.items ?? []).some((it) => it.aggregate || it.window);
}

/** Everything the job's queries gave the script, for a column the script made itself. */
function jobInputs(queries: readonly QueryResult[]): InputColumn[] {
  const all: InputColumn[] = [];
  const add = (i: InputColumn) => {
    if (!all.some((a) => a.table === i.table && a.column === i.column && a.subtype === i.subtype)) all.push(i);
  };
  for (const q of queries) {
    for (const it of q.lineage?.items ?? []) it.inputs.forEach(add);
    for (const t of q.lineage?.tables ?? [])
      if (q.lineage?.unknown) columnsOf(t).forEach((column) => add({ table: t, column, type: 'DIRECT', subtype: 'TRANSFORMATION' }));
  }
  return all;
}

function carriedInputs(queries: readonly QueryResult[]): InputColumn[] {
  return jobInputs(queries).filter((i) => i.subtype === 'IDENTITY' || i.subtype === 'TRANSFORMATION');
}

/** What a column of a query is made of; unknown lineage inherits every column of the tables the query reads. */
function sourceInputs(q: QueryResult, k: number): { inputs: InputColumn[]; unknown: boolean } {
  const it: ItemLineage | undefined = q.lineage?.items[k];
  if (!it || it.unknown || q.lineage?.items.length !== q.columns.length) {
    const inputs = (q.lineage?.tables ?? []).flatMap((t) =>
      columnsOf(t).map((column) => ({ table: t, column, type: 'DIRECT' as const, subtype: 'TRANSFORMATION' as const })),
    );
    return { inputs: [...inputs, ...(it?.inputs ?? [])], unknown: true };
  }
  return { inputs: [...it.inputs], unknown: false };
}

export function traceOutput(
  output: { columns: readonly { name: string }[]; rows: readonly (readonly unknown[])[] },
  queries: readonly QueryResult[],
): Provenance {
  const width = output.columns.length;
  let best: { q: QueryResult; mapping: (number | null)[]; tied: number } | null = null;
  for (const q of queries) {
    if (!q.rows || q.rows.length < output.rows.length) continue;
    const mapping = bestMapping(output.rows, width, q);
    const tied = mapping.filter((k) => k !== null).length;
    // The later query wins a tie: scripts usually output what they read last.
    if (tied > 0 && (!best || tied >= best.tied)) best = { q, mapping, tied };
  }
  const derived = jobInputs(queries);
  const columns: ColumnProvenance[] = output.columns.map((c, j) => {
    const k = best?.mapping[j] ?? null;
    if (!best || k === null) return { name: c.name, source: null, inputs: derived, unknown: false };
    const { inputs, unknown } = sourceInputs(best.q, k);
    return { name: c.name, source: { query: best.q.index, column: k, name: best.q.columns[k]! }, inputs, unknown };
  });
  return {
    columns,
    query: best?.q ?? null,
    shape: best && rowsAreCells(isNode(best.q.statement) ? (best.q.statement.node ?? null) : null) ? 'aggregate' : 'record',
    rowsDropped: !!best && (best.q.rows?.length ?? 0) > output.rows.length,
    carried: carriedInputs(queries),
    queries,
  };
}

/** The catalog role of a table column. */
export function roleOf(table: string, column: string): string | undefined {
  return findDataset(table)?.fields.find((f) => f.name === column)?.role;
}

/** Inputs of a column that carry values row by row (not summarised). */
export const carriedOf = (c: ColumnProvenance) => c.inputs.filter((i) => i.subtype === 'IDENTITY' || i.subtype === 'TRANSFORMATION');

/** The job read direct identifiers into the script (values, not counts of them). */
export function identifiersRead(p: Provenance): string[] {
  return [...new Set(p.carried.filter((i) => roleOf(i.table, i.column) === 'direct_identifier').map((i) => `${i.table}.${i.column}`))].sort();
}
