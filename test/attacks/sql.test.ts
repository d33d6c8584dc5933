// SQL attacks against the gate (DESIGN layer 4) on a real tenant file opened the way jobs
// open it (layer 5), and the same attacks through a real sandboxed job: every one refused
// with its code, and the next job still runs.
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkQuery, openLockedDown, DEFAULT_LIMITS } from '../../sandbox/index.ts';
import { demoDomain } from '../helpers.ts';

type Domain = Awaited<ReturnType<typeof demoDomain>>;

/** [query, expected code] — the attacker has read the DuckDB docs. */
export const SQL_ATTACKS: readonly (readonly [string, string])[] = [
  ["COPY population TO '/tmp/opdomain-leak.csv'", 'SQL_NOT_SELECT'],
  ["COPY (SELECT * FROM population) TO '/tmp/opdomain-leak.parquet' (FORMAT parquet)", 'SQL_NOT_SELECT'],
  ["ATTACH '/tmp/other.duckdb' AS other", 'SQL_NOT_SELECT'],
  ['DETACH prod', 'SQL_NOT_SELECT'],
  ['INSTALL httpfs', 'SQL_NOT_SELECT'],
  ['LOAD httpfs', 'SQL_NOT_SELECT'],
  ['PRAGMA database_list', 'SQL_NOT_SELECT'],
  ["SET memory_limit = '100GB'", 'SQL_NOT_SELECT'],
  ['SET enable_external_access = true', 'SQL_NOT_SELECT'],
  ['SET VARIABLE secret = 1', 'SQL_NOT_SELECT'],
  ['CALL pragma_version()', 'SQL_NOT_SELECT'],
  ["EXPORT DATABASE '/tmp/opdomain-export'", 'SQL_NOT_SELECT'],
  ['CREATE TABLE stash AS SELECT * FROM population', 'SQL_NOT_SELECT'],
  ['INSERT INTO population SELECT * FROM population', 'SQL_NOT_SELECT'],
  ["CREATE SECRET s (TYPE s3, KEY_ID 'x', SECRET 'y')", 'SQL_NOT_SELECT'],
  ['PREPARE p AS SELECT 1', 'SQL_NOT_SELECT'],
  ['/* harmless */ DELETE FROM population', 'SQL_NOT_SELECT'],
  ["SELECT * FROM read_csv('/etc/passwd')", 'SQL_FUNCTION_NOT_ALLOWED'],
  ["SELECT * FROM read_csv_auto('/etc/passwd')", 'SQL_FUNCTION_NOT_ALLOWED'],
  ["SELECT * FROM read_text('/etc/passwd')", 'SQL_FUNCTION_NOT_ALLOWED'],
  ["FROM read_blob('/etc/passwd')", 'SQL_FUNCTION_NOT_ALLOWED'],
  ["SELECT * FROM read_parquet('https://example.org/x.parquet')", 'SQL_FUNCTION_NOT_ALLOWED'],
  ["SELECT * FROM read_json('/etc/hosts')", 'SQL_FUNCTION_NOT_ALLOWED'],
  ["SELECT * FROM glob('/*')", 'SQL_FUNCTION_NOT_ALLOWED'],
  ["SELECT * FROM sniff_csv('/etc/passwd')", 'SQL_FUNCTION_NOT_ALLOWED'],
  ["SELECT * FROM parquet_metadata('/tmp/x.parquet')", 'SQL_FUNCTION_NOT_ALLOWED'],
  ["SELECT * FROM query('SELECT 1')", 'SQL_FUNCTION_NOT_ALLOWED'],
  ["SELECT * FROM query_table('population')", 'SQL_FUNCTION_NOT_ALLOWED'],
  ["SELECT getenv('HOME')", 'SQL_FUNCTION_NOT_ALLOWED'],
  ["SELECT current_setting('memory_limit')", 'SQL_FUNCTION_NOT_ALLOWED'],
  ["SELECT getvariable('secret')", 'SQL_FUNCTION_NOT_ALLOWED'],
  ['SELECT * FROM duckdb_settings()', 'SQL_FUNCTION_NOT_ALLOWED'],
  ['SELECT * FROM duckdb_databases()', 'SQL_FUNCTION_NOT_ALLOWED'],
  ['SELECT * FROM duckdb_secrets()', 'SQL_FUNCTION_NOT_ALLOWED'],
  ['SELECT version()', 'SQL_FUNCTION_NOT_ALLOWED'],
  ['SELECT current_database()', 'SQL_FUNCTION_NOT_ALLOWED'],
  ['SELECT random()', 'SQL_FUNCTION_NOT_ALLOWED'],
  ["SELECT main.getenv('HOME')", 'SQL_FUNCTION_NOT_ALLOWED'],
  ["SELECT (SELECT getenv('HOME'))", 'SQL_FUNCTION_NOT_ALLOWED'],
  ["SELECT list_transform([1], x -> getenv('HOME'))", 'SQL_FUNCTION_NOT_ALLOWED'],
  ["WITH x AS (SELECT * FROM read_csv('/etc/passwd')) SELECT * FROM x", 'SQL_FUNCTION_NOT_ALLOWED'],
  ["SELECT county_code FROM population UNION ALL SELECT * FROM read_csv('/etc/passwd')", 'SQL_FUNCTION_NOT_ALLOWED'],
  ["SELECT * FROM population, LATERAL (SELECT * FROM read_csv('/etc/passwd'))", 'SQL_FUNCTION_NOT_ALLOWED'],
  ["SELECT * FROM '/etc/passwd'", 'SQL_TABLE_NOT_ALLOWED'],
  ["SELECT * FROM '/tmp/other-tenant/prod.duckdb'", 'SQL_TABLE_NOT_ALLOWED'],
  ['SELECT * FROM information_schema.tables', 'SQL_TABLE_NOT_ALLOWED'],
  ['SELECT * FROM sqlite_master', 'SQL_TABLE_NOT_ALLOWED'],
  ['SELECT * FROM pg_catalog.pg_tables', 'SQL_TABLE_NOT_ALLOWED'],
  ['SELECT * FROM duckdb_tables', 'SQL_TABLE_NOT_ALLOWED'],
  ['SELECT * FROM prod.main.population', 'SQL_TABLE_NOT_ALLOWED'],
  ['SELECT * FROM raw.population', 'SQL_TABLE_NOT_ALLOWED'],
  ['SELECT * FROM system.main.duckdb_settings', 'SQL_TABLE_NOT_ALLOWED'],
  ['SELECT * FROM other_tenant_table', 'SQL_TABLE_NOT_ALLOWED'],
  ['SELECT * FROM "population""x"', 'SQL_TABLE_NOT_ALLOWED'],
  // node-sql-parser reads \' as an escaped quote (and so a table medical_claims); DuckDB reads a
  // one-character string and the table population. Two readings: refused.
  ["SELECT '\\' AS a FROM population --' FROM medical_claims", 'SQL_PARSERS_DISAGREE'],
  ['SELECT 1; SELECT 2', 'SQL_MULTIPLE_STATEMENTS'],
  ['SELECT 1; DROP TABLE population', 'SQL_MULTIPLE_STATEMENTS'],
  ['SELECT * FROM population -- trailing comment\n; DELETE FROM population', 'SQL_MULTIPLE_STATEMENTS'],
  // `DESCRIBE table` and `SHOW TABLES` are answered from the catalog in a job (test/attacks/script.test.ts).
  ['DESCRIBE SELECT id_card FROM population', 'SQL_CONSTRUCT_NOT_ALLOWED'],
  ['SHOW population', 'SQL_CONSTRUCT_NOT_ALLOWED'],
  ['SHOW DATABASES', 'SQL_CONSTRUCT_NOT_ALLOWED'],
  ['SUMMARIZE population', 'SQL_CONSTRUCT_NOT_ALLOWED'],
  ['SELECT FROM WHERE', 'SQL_PARSE_ERROR'],
  ['', 'SQL_PARSE_ERROR'],
  ['SELECT 1 \u0000', 'SQL_PARSE_ERROR'],
];

/** Analysts' DuckDB dialect that must pass. */
export const SQL_ALLOWED: readonly string[] = [
  'SELECT county_code, count(*) AS n FROM population GROUP BY ALL',
  'SELECT * EXCLUDE (name, phone) FROM population LIMIT 5',
  'WITH w AS (SELECT id_card, avg(base_amount) AS b FROM social_insurance GROUP BY id_card) SELECT count(*) FROM w',
  'SELECT id_card, month, base_amount, lag(base_amount) OVER (PARTITION BY id_card ORDER BY month) AS prev FROM social_insurance QUALIFY row_number() OVER (PARTITION BY id_card ORDER BY month) = 1',
  "SELECT p.gender, date_part('year', p.birth_date) AS y, count(*) FROM population p JOIN social_insurance s USING (id_card) WHERE s.month = '2024-06' GROUP BY ALL ORDER BY ALL",
  'FROM population SELECT county_code, count(*) GROUP BY county_code',
  'SELECT median(amount), quantile_cont(amount, 0.9) FROM medical_claims',
  "SELECT left(icd10, 3) AS chapter, count(*) FROM medical_claims WHERE claim_date >= DATE '2024-01-01' GROUP BY 1",
  'SELECT * FROM range(10) t(i)',
  'SELECT county_code FROM population WHERE county_code = $1',
];

describe('SQL gate and lockdown', () => {
  let d: Domain;
  let instance: DuckDBInstance;
  let con: DuckDBConnection;
  const tables = new Set(['population', 'enterprise', 'social_insurance', 'medical_claims']);
  beforeAll(async () => {
    d = await demoDomain();
    instance = await openLockedDown(d.od.ctx.paths.tenantDb('demo', 'prod'), DEFAULT_LIMITS);
    con = await instance.connect();
  });
  afterAll(async () => {
    con?.closeSync();
    instance?.closeSync();
    await d?.close();
  });

  it(`refuses ${SQL_ATTACKS.length} attacks, each with its code`, async () => {
    expect(SQL_ATTACKS.length).toBeGreaterThanOrEqual(40);
    const got: [string, string][] = [];
    for (const [sql] of SQL_ATTACKS) {
      try {
        await checkQuery(con, sql, tables);
        got.push([sql, 'PASSED']);
      } catch (err) {
        got.push([sql, (err as { code: string }).code]);
      }
    }
    expect(got).toEqual(SQL_ATTACKS.map(([s, c]) => [s, c]));
  });

  it('passes the read-only dialect analysts use', async () => {
    for (const sql of SQL_ALLOWED) await expect(checkQuery(con, sql, tables), sql).resolves.toBeDefined();
  });

  it('reports the tables and columns a query reads', async () => {
    const r = await checkQuery(
      con,
      'SELECT p.county_code, avg(s.base_amount) FROM population p JOIN social_insurance s ON s.id_card = p.id_card GROUP BY 1',
      tables,
    );
    expect(r.tables).toEqual(['population', 'social_insurance']);
    expect(r.columns).toEqual(expect.arrayContaining(['p.county_code', 's.base_amount', 's.id_card', 'p.id_card']));
  });

  it('lockdown holds even without the gate: no files, no settings, no writes, no extensions', async () => {
    for (const sql of [
      "SELECT * FROM read_csv('/etc/passwd')",
      "COPY population TO '/tmp/opdomain-lockdown.csv'",
      "SET memory_limit = '64GB'",
      'CREATE TABLE x (a INT)',
      'INSTALL httpfs',
      'LOAD httpfs',
      "ATTACH '/tmp/opdomain-x.duckdb'",
    ]) {
      await expect(con.run(sql), sql).rejects.toThrow();
    }
  });

  it('refuses the same attacks inside a real job, and the next job still runs', async () => {
    const alice = await d.od.principal({ as: 'alice' });
    const script = `
      const attacks = ${JSON.stringify(SQL_ATTACKS.map(([s]) => s))};
      const codes = [];
      for (const q of attacks) {
        try { await sql(q); codes.push('PASSED'); } catch (e) { codes.push(e.code); }
      }
      output('codes', codes.map((code, i) => ({ i, code })));`;
    const r = await d.od.jobs.run(alice, { tenant: 'demo', env: 'dev', script });
    expect(r.ok, JSON.stringify(r.error)).toBe(true);
    const out = d.od.jobs.output(r.jobId, 'codes');
    // In a job, an information_schema question is answered — over an empty database of the
    // granted tables' shapes (sandbox/catalogAnswers.ts; its own attack tests in script.test.ts),
    // never over the tenant file, where the gate refuses it as above.
    const inJob = SQL_ATTACKS.map(([q, c]) => (/\binformation_schema\./i.test(q) ? 'PASSED' : c));
    expect(inJob.filter((c) => c === 'PASSED')).toHaveLength(1);
    expect(out.rows.map((row) => row[1])).toEqual(inJob);
    // Each refusal was audited with its code.
    const refused = d.od.ctx.audit.entries({ subject: r.jobId, kind: 'QUERY' }).filter((e) => e.data.verdict === 'refused');
    expect(refused.length).toBe(inJob.filter((c) => c !== 'PASSED').length);
    const next = await d.od.jobs.run(alice, { tenant: 'demo', env: 'dev', script: "output('n', await sql('SELECT count(*) AS n FROM population'))" });
    expect(next.ok).toBe(true);
  });
});
