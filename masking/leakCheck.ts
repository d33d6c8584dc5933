// The leak check: after every build and before a domain is usable, no value of a direct
// identifier or sensitive personal field of the raw store may appear in any text column of
// the tenant's files. Done as DuckDB joins against the whole raw store, not by sampling.
import type { DuckDBConnection } from '@duckdb/node-api';
import { CATALOG, isProtectedField, type DatasetSpec } from '../datasets/index.ts';
import { quoteIdent, type TenantPolicy } from './policy.ts';

export interface Leak {
  readonly rawField: string;
  readonly tenantColumn: string;
  readonly matches: number;
}

/**
 * `rawAlias` is the attached raw store; `catalogs` the attached tenant databases to scan.
 * Returns the leaks found (empty = clean).
 */
export async function findLeaks(
  con: DuckDBConnection,
  rawAlias: string,
  catalogs: readonly string[],
  own?: { readonly alias: string; readonly datasets: readonly DatasetSpec[] },
): Promise<Leak[]> {
  const sources: string[] = [];
  const from = [...CATALOG.map((ds) => ({ ds, alias: rawAlias })), ...(own?.datasets ?? []).map((ds) => ({ ds, alias: own!.alias }))];
  for (const { ds, alias } of from) {
    for (const f of ds.fields) {
      if (isProtectedField(f) && f.type === 'VARCHAR') {
        sources.push(
          `SELECT ${quoteIdent(f.name)} AS v, '${ds.id}.${f.name}' AS field FROM ${alias}.${quoteIdent(ds.id)} WHERE ${quoteIdent(f.name)} IS NOT NULL AND length(${quoteIdent(f.name)}) >= 4`,
        );
      }
    }
  }
  await con.run(`CREATE OR REPLACE TEMP TABLE __protected AS SELECT DISTINCT v, field FROM (${sources.join(' UNION ALL ')})`);
  const leaks: Leak[] = [];
  for (const cat of catalogs) {
    const cols = await con.runAndReadAll(
      `SELECT table_name, column_name FROM information_schema.columns WHERE table_catalog = $1 AND data_type = 'VARCHAR' ORDER BY table_name, ordinal_position`,
      [cat],
    );
    for (const row of cols.getRowObjectsJS()) {
      const t = `${cat}.${quoteIdent(String(row.table_name))}`;
      const c = quoteIdent(String(row.column_name));
      const r = await con.runAndReadAll(
        `SELECT p.field, count(*)::BIGINT AS n FROM ${t} x JOIN __protected p ON x.${c} = p.v GROUP BY p.field ORDER BY n DESC`,
      );
      for (const hit of r.getRowObjectsJS()) {
        leaks.push({ rawField: String(hit.field), tenantColumn: `${cat}.${row.table_name}.${row.column_name}`, matches: Number(hit.n) });
      }
    }
  }
  await con.run('DROP TABLE __protected');
  return leaks;
}

/** Operators whose masked value stays a value of the field's kind, near the raw one. */
const RANGE_BOUND: ReadonlySet<string> = new Set(['date_shift', 'noise']);

/**
 * The range class of leak: a shifted date or a noisy number outside the field's observed range
 * tells that the raw value sat near that edge (and, for a date shift, pins the shift). Every
 * masked value of such a field must lie within the raw column's first and last value.
 */
export async function rangeLeaks(con: DuckDBConnection, rawAlias: string | ((dataset: string) => string), policy: TenantPolicy): Promise<Leak[]> {
  const aliasOf = typeof rawAlias === 'string' ? () => rawAlias : rawAlias;
  const leaks: Leak[] = [];
  for (const dp of policy.datasets) {
    for (const f of dp.fields) {
      if (!RANGE_BOUND.has(f.op.name)) continue;
      const [t, c] = [quoteIdent(dp.dataset), quoteIdent(f.field.name)];
      const r = await con.runAndReadAll(
        `SELECT count(*)::BIGINT AS n FROM main.${t} m, (SELECT min(${c}) AS lo, max(${c}) AS hi FROM ${aliasOf(dp.dataset)}.${t}) b WHERE m.${c} < b.lo OR m.${c} > b.hi`,
      );
      const n = Number(r.getRowObjectsJS()[0]!.n);
      if (n > 0) leaks.push({ rawField: `${dp.dataset}.${f.field.name} (range)`, tenantColumn: `prod.${dp.dataset}.${f.field.name}`, matches: n });
    }
  }
  return leaks;
}
