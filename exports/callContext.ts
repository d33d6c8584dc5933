// The export check's measuring, at the speed of one call: a product call's query runs on the
// tenant connection it was given, its result is the output, and its cells are measured from the
// data per unit of privacy exactly as an export's are (exports/cells.ts). Only the measuring is
// here — rules that need the raw store (identifier look-ups) ran when the product was approved.
import type { DuckDBConnection } from '@duckdb/node-api';
import type { OutputColumn } from '../sandbox/index.ts';
import { CONTRIBUTORS_TIMEOUT_MS, measureQuery, type MeasuredQuery, type MeasurePlanCache } from './cells.ts';
import type { CheckContext, Thresholds } from './checks/index.ts';
import { hasAggregates, rerunQueries, traceOutput, type Params, type ParsedCache, type QueryResult } from './provenance.ts';
import { buildView } from './view.ts';

export interface CallMeasure {
  /** The context over the query's own result (every row, nothing withheld yet). */
  readonly ctx: CheckContext;
  readonly measured: MeasuredQuery | null;
}

function columnType(values: readonly unknown[]): OutputColumn['type'] {
  const v = values.find((x) => x !== null && x !== undefined);
  if (typeof v === 'number') return values.every((x) => x === null || Number.isInteger(x)) ? 'BIGINT' : 'DOUBLE';
  if (typeof v === 'boolean') return 'BOOLEAN';
  if (v !== undefined && typeof v === 'object') return 'JSON';
  return 'VARCHAR';
}

/** What a call's measuring keeps between calls of the same templates: their trees and measuring plans. */
export interface CallCache {
  readonly parsed: ParsedCache;
  readonly plans: MeasurePlanCache;
  /** Result column names by statement text: once known, the cells are measured while the query runs. */
  readonly columns: Map<string, readonly string[]>;
}

export function newCallCache(): CallCache {
  return { parsed: new Map(), plans: new Map(), columns: new Map() };
}

/**
 * Runs one gated query with its parameters and measures its cells; refuses nothing itself. With
 * a second connection and a statement seen before, the measuring runs beside the query (it needs
 * the statement and its result's column names, not its rows).
 */
export async function measureCall(
  con: DuckDBConnection,
  input: {
    sql: string;
    params: Params;
    tenant: string;
    thresholds: Thresholds;
    tenantHas: (t: string, c: string) => boolean;
    maxRows: number;
    cache?: CallCache;
    second?: DuckDBConnection;
  },
): Promise<CallMeasure> {
  const { cache } = input;
  const measure = (q: QueryResult, c: DuckDBConnection) =>
    hasAggregates(q) ? measureQuery(c, q, input.tenantHas, CONTRIBUTORS_TIMEOUT_MS, cache?.plans) : Promise.resolve(null);
  const seen = cache?.columns.get(input.sql);
  const parsed = cache?.parsed.get(input.sql);
  const early =
    seen && parsed && input.second
      ? measure(
          { index: 0, sql: input.sql, params: input.params, statement: parsed.statement, lineage: parsed.lineage, columns: seen, rows: undefined },
          input.second,
        )
      : undefined;
  // The early measuring is awaited whatever happens, so no query is left running on its connection.
  const ran = await Promise.allSettled([
    rerunQueries(con, [{ sql: input.sql, params: input.params }], undefined, input.maxRows, cache?.parsed),
    early ?? Promise.resolve(undefined),
  ]);
  if (ran[0].status === 'rejected') throw ran[0].reason;
  const [q] = ran[0].value;
  if (!q || q.rows === undefined) throw new Error(q?.skipped ?? 'the query did not run');
  if (cache && cache.columns.size < 256) cache.columns.set(input.sql, q.columns);
  const rows = q.rows;
  const columns = q.columns.map((name, j) => ({ name, type: columnType(rows.map((r) => r[j])) }));
  const output = { name: 'call', columns, rows };
  const provenance = traceOutput(output, [q]);
  const sameShape = seen !== undefined && seen.join('\u0001') === q.columns.join('\u0001');
  const measuredEarly = ran[1].status === 'fulfilled' && sameShape ? ran[1].value : undefined;
  const measured = !provenance.query ? null : measuredEarly !== undefined && provenance.query === q ? measuredEarly : await measure(provenance.query, con);
  const ctx: CheckContext = {
    output,
    thresholds: input.thresholds,
    tenant: input.tenant,
    provenance,
    measured,
    view: buildView(rows, provenance, measured),
    exportLevels() {
      // The template is gated at the export audience's levels before every call; no rule asks here.
      throw new Error("usage levels are the gate's at call time");
    },
    identifierMatches() {
      // A rule that needs it belongs to the approval's report, not to a call: fail loudly.
      return Promise.reject(new Error('identifier look-ups are not available at call time'));
    },
  };
  return { ctx, measured };
}
