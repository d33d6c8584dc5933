// Builds the export check's context for one output: an in-memory DuckDB that attaches the raw
// store and the tenant's prod file read-only (external access off once attached), parses the
// job's queries with DuckDB's parser, and answers identifier look-ups with joins.
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { CATALOG, isProtectedField } from '../datasets/index.ts';
import { quoteIdent } from '../masking/index.ts';
import type { CheckContext, Magnitude, ParsedQuery, Thresholds } from './checks/index.ts';
import { contributorsPlan, readMagnitudes } from './magnitudes.ts';
import { AGGREGATE_FUNCTIONS, COUNT_FUNCTIONS, columnLineage } from '../sandbox/index.ts';


type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** The catalog role of a dataset column (as a table of the tenant file), if it is one. */
function roleOf(table: string, column: string): string | undefined {
  return CATALOG.find((d) => d.id === table)?.fields.find((f) => f.name === column)?.role;
}

/** `outputColumns`: the output's column names (lower-case); contributors are read only for measures among them. */
export async function parseQuery(con: DuckDBConnection, query: { sql: string; params?: readonly (string | number | boolean | null)[] }, outputColumns?: ReadonlySet<string>): Promise<ParsedQuery> {
  const { sql } = query;
  const r = await con.runAndReadAll('SELECT json_serialize_sql($1::VARCHAR) AS j', [sql]);
  const tree = JSON.parse(String(r.getRowObjectsJS()[0]!.j)) as Json;
  const statement = (tree as { statements?: Json[] }).statements?.[0] ?? null;
  const lineage = statement ? columnLineage(statement, (t) => (CATALOG.find((d) => d.id === t)?.fields ?? []).map((f) => f.name)) : null;
  const countAliases: string[] = [];
  let aggregates = false;
  const visit = (n: Json): void => {
    if (Array.isArray(n)) return n.forEach(visit);
    if (!n || typeof n !== 'object') return;
    if ((Array.isArray(n.group_expressions) && n.group_expressions.length > 0) || n.aggregate_handling === 'FORCE_AGGREGATES') aggregates = true;
    if (Array.isArray(n.select_list)) {
      for (const item of n.select_list) {
        if (item && typeof item === 'object' && !Array.isArray(item) && item.class === 'FUNCTION') {
          const fn = String(item.function_name).toLowerCase();
          if (COUNT_FUNCTIONS.has(fn)) {
            aggregates = true;
            if (item.alias) countAliases.push(String(item.alias));
          }
        }
      }
    }
    if (n.class === 'FUNCTION' && AGGREGATE_FUNCTIONS.has(String(n.function_name).toLowerCase())) aggregates = true;
    Object.values(n).forEach(visit);
  };
  visit(tree);
  const counts = new Set(countAliases.map((a) => a.toLowerCase()));
  const columnRoles: Record<string, string[]> = {};
  const columnFields: Record<string, string[]> = {};
  for (const [out, inputs] of Object.entries(lineage?.fields ?? {})) {
    columnRoles[out] = [...new Set(inputs.filter((i) => i.subtype !== 'AGGREGATION').map((i) => roleOf(i.table, i.column)).filter((x): x is string => !!x))];
    if (!counts.has(out)) columnFields[out] = [...new Set(inputs.map((i) => `${i.table}.${i.column}`))];
  }
  const filterFields = [...new Set((lineage?.dataset ?? []).filter((i) => i.subtype === 'FILTER').map((i) => `${i.table}.${i.column}`))];
  const tables = [...new Set([...Object.values(lineage?.fields ?? {}).flat(), ...(lineage?.dataset ?? [])].map((i) => i.table))].sort();
  let magnitudes: Magnitude[] = [];
  if (aggregates && tree && typeof tree === 'object' && !Array.isArray(tree)) {
    const plan = await contributorsPlan(con, tree).catch(() => undefined);
    // The contributors query reads the tenant's full data per measure: only for measures that are in the output.
    const wanted = plan && outputColumns ? { ...plan, measures: plan.measures.filter((m) => outputColumns.has(m.measure.toLowerCase())) } : plan;
    if (wanted && wanted.measures.length > 0) magnitudes = await readMagnitudes(con, wanted, query.params ?? []);
  }
  return { sql, tables, countAliases, aggregates, columnRoles, columnFields, filterFields, magnitudes };
}

export interface CheckEnvironmentOptions {
  readonly rawPath: string;
  readonly tenantProdPath: string;
  readonly queries: readonly { sql: string; params?: readonly (string | number | boolean | null)[] }[];
  readonly thresholds: Thresholds;
  readonly output: CheckContext['output'];
  readonly priorReleases?: CheckContext['priorReleases'];
}

export async function withCheckContext<T>(opts: CheckEnvironmentOptions, fn: (ctx: CheckContext) => Promise<T>): Promise<T> {
  const instance = await DuckDBInstance.create(':memory:', { threads: '2', autoinstall_known_extensions: 'false', autoload_known_extensions: 'false' });
  const con = await instance.connect();
  try {
    const esc = (p: string) => p.replaceAll("'", "''");
    await con.run(`ATTACH '${esc(opts.rawPath)}' AS raw (READ_ONLY)`);
    await con.run(`ATTACH '${esc(opts.tenantProdPath)}' AS tenant (READ_ONLY)`);
    await con.run("SET enable_external_access = false");
    // The job's queries name the tenant's tables unqualified, as the sandbox saw them.
    await con.run('USE tenant');
    const queries: ParsedQuery[] = [];
    const outputColumns = new Set(opts.output.columns.map((c) => c.name.toLowerCase()));
    for (const q of opts.queries) queries.push(await parseQuery(con, q, outputColumns));
    const tenantTables = new Set(
      (await con.runAndReadAll("SELECT table_name FROM duckdb_tables() WHERE database_name = 'tenant'")).getRowObjectsJS().map((r) => String(r.table_name)),
    );
    const tenantCols = (await con.runAndReadAll("SELECT table_name, column_name FROM duckdb_columns() WHERE database_name = 'tenant'")).getRowObjectsJS();
    // Every protected identifier value of the domain, raw and as masked or tokenized in the tenant.
    const sources: string[] = [];
    for (const ds of CATALOG) {
      for (const f of ds.fields) {
        if (!isProtectedField(f) || f.type !== 'VARCHAR') continue;
        const label = `${ds.id}.${f.name}`;
        sources.push(`SELECT ${quoteIdent(f.name)} AS v, '${label}' AS field FROM raw.${quoteIdent(ds.id)}`);
        if (f.role === 'direct_identifier' && tenantTables.has(ds.id) && tenantCols.some((c) => c.table_name === ds.id && c.column_name === f.name)) {
          sources.push(`SELECT ${quoteIdent(f.name)} AS v, '${label}' AS field FROM tenant.${quoteIdent(ds.id)}`);
        }
      }
    }
    const ctx: CheckContext = {
      output: opts.output,
      queries,
      thresholds: opts.thresholds,
      ...(opts.priorReleases ? { priorReleases: opts.priorReleases } : {}),
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
        const r = await con.runAndReadAll(`SELECT p.v, first(s.field) AS field FROM temp.main.probe p JOIN (${sources.join(' UNION ALL ')}) s ON s.v = p.v WHERE length(p.v) >= 2 GROUP BY p.v`);
        for (const row of r.getRowObjectsJS()) out.set(String(row.v), String(row.field));
        return out;
      },
    };
    return await fn(ctx);
  } finally {
    con.closeSync();
    instance.closeSync();
  }
}
