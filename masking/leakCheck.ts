// The leak check: after every build and before a domain is usable, no value of a direct
// identifier or sensitive personal field of the raw store may appear in any text column of
// the tenant's files. Done as DuckDB joins against the whole raw store, not by sampling.
import type { DuckDBConnection } from '@duckdb/node-api';
import { CATALOG, isProtectedField } from '../datasets/index.ts';
import { quoteIdent } from './policy.ts';

export interface Leak {
  readonly rawField: string;
  readonly tenantColumn: string;
  readonly matches: number;
}

/**
 * `rawAlias` is the attached raw store; `catalogs` the attached tenant databases to scan.
 * Returns the leaks found (empty = clean).
 */
export async function findLeaks(con: DuckDBConnection, rawAlias: string, catalogs: readonly string[]): Promise<Leak[]> {
  const sources: string[] = [];
  for (const ds of CATALOG) {
    for (const f of ds.fields) {
      if (isProtectedField(f) && f.type === 'VARCHAR') {
        sources.push(`SELECT ${quoteIdent(f.name)} AS v, '${ds.id}.${f.name}' AS field FROM ${rawAlias}.${quoteIdent(ds.id)} WHERE ${quoteIdent(f.name)} IS NOT NULL AND length(${quoteIdent(f.name)}) >= 4`);
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
