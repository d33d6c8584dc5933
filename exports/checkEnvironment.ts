// Builds the export check's context for one output: an in-memory DuckDB that attaches the raw
// store and the tenant's prod file read-only (external access off once attached), re-runs the
// job's allowed queries to tie every output column to a query result by content, measures the
// cells of an aggregate output from the data per unit of privacy, and answers identifier
// look-ups with joins. Only statistics leave it.
import { DuckDBInstance } from '@duckdb/node-api';
import { CATALOG, findDataset, isProtectedField, parseUsageComment, type UsageLevel } from '../datasets/index.ts';
import { resultLevels, type ResultLevel } from '../sandbox/index.ts';
import { quoteIdent } from '../masking/index.ts';
import { measureQuery } from './cells.ts';
import type { CheckContext, PriorCell, Thresholds } from './checks/index.ts';
import { hasAggregates, rerunQueries, traceOutput, type RecordedQuery } from './provenance.ts';
import { buildView } from './view.ts';

export interface CheckEnvironmentOptions {
  readonly rawPath: string;
  readonly tenantProdPath: string;
  readonly tenant: string;
  readonly queries: readonly RecordedQuery[];
  readonly thresholds: Thresholds;
  readonly output: CheckContext['output'];
  readonly priorCells?: (measure: string) => readonly PriorCell[];
  readonly dpReleases?: CheckContext['dpReleases'];
}

/** The same context over other rows of the same output (the fix's): provenance stays, the view is rebuilt. */
export function withRows(ctx: CheckContext, rows: readonly (readonly unknown[])[], mitigated: boolean): CheckContext {
  return { ...ctx, output: { ...ctx.output, rows }, view: buildView(rows, ctx.provenance, ctx.measured), mitigated };
}

export async function withCheckContext<T>(opts: CheckEnvironmentOptions, fn: (ctx: CheckContext) => Promise<T>): Promise<T> {
  // Row order is never read here (cells are keyed by their values): DuckDB may aggregate without keeping it.
  const instance = await DuckDBInstance.create(':memory:', {
    threads: '2',
    preserve_insertion_order: 'false',
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
  });
  const con = await instance.connect();
  try {
    const esc = (p: string) => p.replaceAll("'", "''");
    await con.run(`ATTACH '${esc(opts.rawPath)}' AS raw (READ_ONLY)`);
    await con.run(`ATTACH '${esc(opts.tenantProdPath)}' AS tenant (READ_ONLY)`);
    await con.run('SET enable_external_access = false');
    // The job's queries name the tenant's tables unqualified, as the sandbox saw them.
    await con.run('USE tenant');
    const tenantCols = (
      await con.runAndReadAll("SELECT table_name, column_name, comment FROM duckdb_columns() WHERE database_name = 'tenant'")
    ).getRowObjectsJS();
    const has = new Set(tenantCols.map((c) => `${String(c.table_name)}.${String(c.column_name)}`));
    const exportLevel = new Map(
      tenantCols.map((c) => [`${String(c.table_name).toLowerCase()}.${String(c.column_name).toLowerCase()}`, parseUsageComment(c.comment)?.export]),
    );
    const columnsOfTenant = (t: string) => tenantCols.filter((c) => String(c.table_name).toLowerCase() === t).map((c) => String(c.column_name).toLowerCase());
    // A column without levels (a file built before levels existed) is only joined and counted: fail closed.
    const levelOf = (t: string, c: string): UsageLevel => exportLevel.get(`${t}.${c}`) ?? 'join_key';
    const levelCache = new Map<string, ResultLevel[]>();
    const tenantHas = (t: string, c: string) => has.has(`${t}.${c}`);
    const queries = await rerunQueries(con, opts.queries, opts.output);
    const provenance = traceOutput(opts.output, queries);
    // Cells of an aggregate, and aggregate columns beside records (windows, subqueries), are measured.
    const measured = provenance.query && hasAggregates(provenance.query) ? await measureQuery(con, provenance.query, tenantHas) : null;
    // Every protected identifier value of the domain, raw and as masked or tokenized in the tenant.
    const sources: string[] = [];
    for (const ds of CATALOG) {
      for (const f of ds.fields) {
        if (!isProtectedField(f) || f.type !== 'VARCHAR') continue;
        const label = `${ds.id}.${f.name}`;
        sources.push(`SELECT ${quoteIdent(f.name)} AS v, '${label}' AS field FROM raw.${quoteIdent(ds.id)}`);
        if (f.role === 'direct_identifier' && tenantHas(ds.id, f.name))
          sources.push(`SELECT ${quoteIdent(f.name)} AS v, '${label}' AS field FROM tenant.${quoteIdent(ds.id)}`);
      }
    }
    for (const t of new Set(tenantCols.map((c) => String(c.table_name)))) {
      const own = t.startsWith('own_') ? findDataset(t) : undefined;
      for (const f of own?.fields ?? [])
        if (f.role === 'direct_identifier' && f.type === 'VARCHAR' && tenantHas(t, f.name))
          sources.push(`SELECT ${quoteIdent(f.name)} AS v, '${t}.${f.name}' AS field FROM tenant.${quoteIdent(t)}`);
    }
    const ctx: CheckContext = {
      output: opts.output,
      thresholds: opts.thresholds,
      tenant: opts.tenant,
      provenance,
      measured,
      view: buildView(opts.output.rows, provenance, measured),
      ...(opts.priorCells ? { priorCells: opts.priorCells } : {}),
      ...(opts.dpReleases ? { dpReleases: opts.dpReleases } : {}),
      exportLevels(q) {
        let items = levelCache.get(q.sql);
        if (!items) {
          items = resultLevels(q.statement, columnsOfTenant, levelOf).items;
          levelCache.set(q.sql, items);
        }
        return items;
      },
      async identifierMatches(values) {
        const out = new Map<string, string>();
        if (values.length === 0) return out;
        await con.run('CREATE OR REPLACE TEMP TABLE probe (v VARCHAR)');
        const appender = await con.createAppender('probe', 'main', 'temp');
        for (const v of values) {
          appender.appendVarchar(v);
          appender.endRow();
        }
        appender.closeSync();
        // The output's distinct strings are few beside the domain's values: join them straight
        // against every source (the probe is the hash side) rather than materialising the domain's values.
        const r = await con.runAndReadAll(
          `SELECT p.v, first(s.field) AS field FROM temp.main.probe p JOIN (${sources.join(' UNION ALL ')}) s ON s.v = p.v WHERE length(p.v) >= 2 GROUP BY p.v`,
        );
        for (const row of r.getRowObjectsJS()) out.set(String(row.v), String(row.field));
        return out;
      },
    };
    return await fn(ctx);
  } finally {
    // Closing an instance with the check's temporary tables takes tens of milliseconds: after the answer.
    setImmediate(() => {
      con.closeSync();
      instance.closeSync();
    });
  }
}
