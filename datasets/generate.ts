// Deterministic sample data for the four catalog datasets, generated inside DuckDB:
// faker builds small vocabulary pools, DuckDB builds the rows from range(N), so volume
// scales to millions at DuckDB speed. Same seed and scale → identical table contents.
import { mkdirSync, renameSync, rmSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { createHash } from 'node:crypto';
// DuckDB's bindings load when data is generated, not when the catalog is read (CLI start-up).
import type { DuckDBConnection } from '@duckdb/node-api';
import { COUNTIES, ENTERPRISE_STATUSES, ENTERPRISE_SUFFIXES, HOSPITAL_SUFFIXES, ICD10, INDUSTRIES } from './vocab.ts';
import { countyWeightedSum, creditCodeCheckSql, normalSql, orgCodeCheckSql, pickSql, residentIdCheckFromPartsSql, sqlString, uniformSql } from './sqlExpr.ts';
import { CATALOG } from './catalog.ts';
import type { DatasetSpec } from './types.ts';

export interface GenerateOptions {
  /** Number of people; enterprises, contributions and claims scale with it. */
  readonly scale: number;
  readonly seed?: number;
  readonly onProgress?: (step: string, done: number, total: number) => void;
}

export interface DatasetVersion {
  readonly dataset: string;
  readonly rows: number;
  /** sha256 over the table's schema, row count and an order-independent digest of its rows. */
  readonly contentHash: string;
}

export const MIN_SCALE = 100;
export const MAX_SCALE = 20_000_000;

/** Writes the raw store at `rawPath` (atomically: a temp file renamed into place). */
export async function generateSampleData(rawPath: string, opts: GenerateOptions): Promise<DatasetVersion[]> {
  const { scale } = opts;
  const seed = opts.seed ?? 20230901;
  if (!Number.isInteger(scale) || scale < MIN_SCALE || scale > MAX_SCALE) {
    throw new RangeError(`scale must be an integer from ${MIN_SCALE} to ${MAX_SCALE}`);
  }
  mkdirSync(dirname(rawPath), { recursive: true });
  const tmp = `${rawPath}.building`;
  rmSync(tmp, { force: true });
  rmSync(`${tmp}.wal`, { force: true });
  const steps = ['vocabularies', 'population', 'enterprise', 'social_insurance', 'medical_claims', 'versions'];
  const progress = (i: number) => opts.onProgress?.(steps[i]!, i, steps.length);
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(tmp, { threads: '2' });
  const con = await instance.connect();
  try {
    progress(0);
    const sizes = await createPools(con, seed);
    progress(1);
    await con.run(populationSql(scale, seed, sizes));
    progress(2);
    const enterprises = Math.max(20, Math.round(scale / 10));
    await con.run(enterpriseSql(enterprises, scale, seed, sizes));
    progress(3);
    await con.run(socialInsuranceSql(seed, enterprises));
    progress(4);
    await con.run(medicalClaimsSql(Math.round(scale * 0.8), scale, seed, sizes));
    progress(5);
    await con.run(
      'DROP TABLE w_county; DROP TABLE w_industry; DROP TABLE w_icd; DROP TABLE w_status; DROP TABLE pool_surname; DROP TABLE pool_given; DROP TABLE pool_street; DROP TABLE pool_word;',
    );
    const versions = await datasetVersions(con);
    await con.run('CHECKPOINT');
    opts.onProgress?.('done', steps.length, steps.length);
    con.closeSync();
    instance.closeSync();
    renameSync(tmp, rawPath);
    rmSync(`${rawPath}.wal`, { force: true });
    return versions;
  } catch (err) {
    con.closeSync();
    instance.closeSync();
    rmSync(tmp, { force: true });
    rmSync(`${tmp}.wal`, { force: true });
    throw err;
  }
}

/** Content digests of the datasets in an open raw store (also used after imports). */
export async function datasetVersions(con: DuckDBConnection, prefix = '', specs: readonly DatasetSpec[] = CATALOG): Promise<DatasetVersion[]> {
  const out: DatasetVersion[] = [];
  for (const ds of specs) {
    const cols = ds.fields.map((f) => `"${f.name}"`).join(', ');
    const r = await con.runAndReadAll(
      `SELECT count(*)::BIGINT AS n, coalesce(bit_xor(hash(${cols})), 0)::VARCHAR AS x, coalesce(sum(hash(${cols}) % 1000000007), 0)::VARCHAR AS s FROM ${prefix}"${ds.id}"`,
    );
    const row = r.getRowObjectsJS()[0]!;
    const schema = ds.fields.map((f) => `${f.name}:${f.type}`).join(',');
    const contentHash = createHash('sha256').update(`${ds.id}|${schema}|${row.n}|${row.x}|${row.s}`).digest('hex');
    out.push({ dataset: ds.id, rows: Number(row.n), contentHash });
  }
  return out;
}

export function rawStoreExists(rawPath: string): boolean {
  return existsSync(rawPath);
}

/** Row counts of the vocabulary pools, inlined into the generators as constants (a scalar
 * subquery per row made generation three times slower). */
type PoolSizes = Record<'w_county' | 'w_industry' | 'w_icd' | 'w_status' | 'pool_surname' | 'pool_given' | 'pool_street' | 'pool_word', number>;

async function insertRows(con: DuckDBConnection, table: string, columns: string, rows: string[][]): Promise<number> {
  await con.run(`CREATE TABLE ${table} (${columns})`);
  for (let i = 0; i < rows.length; i += 500) {
    const chunk = rows
      .slice(i, i + 500)
      .map((r) => `(${r.join(', ')})`)
      .join(', ');
    await con.run(`INSERT INTO ${table} VALUES ${chunk}`);
  }
  return rows.length;
}

/** Expands weighted items into k = 0..W-1 so a uniform pick by k honours the weights. */
function weighted<T extends { weight: number }>(items: readonly T[], cols: (t: T) => string[]): string[][] {
  const rows: string[][] = [];
  for (const it of items) for (let w = 0; w < it.weight; w++) rows.push([String(rows.length), ...cols(it)]);
  return rows;
}

async function createPools(con: DuckDBConnection, seed: number): Promise<PoolSizes> {
  // Loaded on demand: faker is only needed while generating.
  const { faker } = await import('@faker-js/faker/locale/zh_CN');
  faker.seed(seed);
  const defs = faker.rawDefinitions.person as { last_name: { generic: string[] }; first_name: { generic: string[] } };
  const surnames = [...new Set(defs.last_name.generic)].sort();
  const given = [...new Set(defs.first_name.generic)].sort();
  const streets = Array.from({ length: 400 }, () => faker.location.street());
  const words = given.filter((g) => g.length === 2);
  return {
    pool_surname: await insertRows(
      con,
      'pool_surname',
      'k BIGINT, v VARCHAR',
      surnames.map((s, i) => [String(i), sqlString(s)]),
    ),
    pool_given: await insertRows(
      con,
      'pool_given',
      'k BIGINT, v VARCHAR',
      given.map((s, i) => [String(i), sqlString(s)]),
    ),
    pool_street: await insertRows(
      con,
      'pool_street',
      'k BIGINT, v VARCHAR',
      streets.map((s, i) => [String(i), sqlString(s)]),
    ),
    pool_word: await insertRows(
      con,
      'pool_word',
      'k BIGINT, v VARCHAR',
      words.map((s, i) => [String(i), sqlString(s)]),
    ),
    w_county: await insertRows(
      con,
      'w_county',
      'k BIGINT, code VARCHAR, name VARCHAR, city VARCHAR, wsum INTEGER',
      weighted(COUNTIES, (c) => [sqlString(c.code), sqlString(c.name), sqlString(c.city), String(countyWeightedSum(c.code))]),
    ),
    w_industry: await insertRows(
      con,
      'w_industry',
      'k BIGINT, code VARCHAR',
      weighted(INDUSTRIES, (i) => [sqlString(i.code)]),
    ),
    w_icd: await insertRows(
      con,
      'w_icd',
      'k BIGINT, code VARCHAR, winter BOOLEAN',
      weighted(ICD10, (i) => [sqlString(i.code), String(i.winter)]),
    ),
    w_status: await insertRows(
      con,
      'w_status',
      'k BIGINT, status VARCHAR',
      weighted(ENTERPRISE_STATUSES, (s) => [sqlString(s.status)]),
    ),
  };
}

function populationSql(n: number, seed: number, sizes: PoolSizes): string {
  const u = (label: string) => uniformSql('i', seed, label);
  // Age: a mixture close to Zhejiang's 2020 census pyramid (few children, a broad 25–60 band).
  const age = `CASE WHEN ${u('agemix')} < 0.15 THEN ${u('age1')} * 18 WHEN ${u('agemix')} < 0.85 THEN 18 + ${u('age2')} * 42 ELSE 60 + ${u('age3')} * ${u('age4')} * 35 END`;
  const seq = '((seq_in_day % 499) * 2 + sex_bit)';
  const ymd = '(year(birth_date) * 10000 + month(birth_date) * 100 + day(birth_date))';
  return `
CREATE TABLE population AS
WITH draws AS (
  SELECT i,
    ${pickSql('i', seed, 'county', sizes.w_county)} AS ck,
    (DATE '2024-12-31' - CAST(floor((${age}) * 365.25) AS INTEGER)) AS birth_date,
    (CASE WHEN ${u('sex')} < 0.508 THEN 1 ELSE 0 END) AS sex_bit,
    ${pickSql('i', seed, 'surname', sizes.pool_surname)} AS sk,
    ${pickSql('i', seed, 'given', sizes.pool_given)} AS gk,
    ${pickSql('i', seed, 'street', sizes.pool_street)} AS stk
  FROM range(${n}) t(i)
), people AS (
  SELECT d.*, c.code AS county_code, c.name AS county_name, c.city, c.wsum,
    row_number() OVER (PARTITION BY c.code, d.birth_date, d.sex_bit ORDER BY d.i) - 1 AS seq_in_day
  FROM draws d JOIN w_county c ON c.k = d.ck
), numbered AS (
  SELECT *, ${seq} AS seq, ${ymd} AS ymd FROM people
)
SELECT
  county_code || ymd::VARCHAR || lpad(seq::VARCHAR, 3, '0') || ${residentIdCheckFromPartsSql('wsum', 'ymd', 'seq')} AS id_card,
  s.v || g.v AS name,
  '1' || (3 + ${pickSql('i', seed, 'ph1', 7)})::VARCHAR || lpad(${pickSql('i', seed, 'ph2', 1000000000)}::VARCHAR, 9, '0') AS phone,
  CASE sex_bit WHEN 1 THEN '男' ELSE '女' END AS gender,
  birth_date,
  '浙江省' || city || county_name || st.v || (1 + ${pickSql('i', seed, 'no', 300)})::VARCHAR || '号' || (1 + ${pickSql('i', seed, 'bld', 30)})::VARCHAR || '幢' || (101 + ${pickSql('i', seed, 'room', 20)})::VARCHAR || '室' AS address,
  county_code,
  ${u('crime')} < 0.02 AS criminal_record
FROM numbered p
JOIN pool_surname s ON s.k = p.sk
JOIN pool_given g ON g.k = p.gk
JOIN pool_street st ON st.k = p.stk
ORDER BY i`;
}

function enterpriseSql(m: number, people: number, seed: number, sizes: PoolSizes): string {
  const body8 = `lpad(${pickSql('j', seed, 'org', 100000000)}::VARCHAR, 8, '0')`;
  const base17Expr = `('91' || county_code || org_body || ${orgCodeCheckSql('org_body')})`;
  return `
CREATE TABLE enterprise AS
WITH draws AS (
  SELECT j,
    ${pickSql('j', seed, 'ecounty', sizes.w_county)} AS ck,
    ${body8} AS org_body,
    ${pickSql('j', seed, 'rep', people)} AS rep_i,
    ${pickSql('j', seed, 'ind', sizes.w_industry)} AS ik,
    ${pickSql('j', seed, 'word', sizes.pool_word)} AS wk,
    ${pickSql('j', seed, 'suffix', ENTERPRISE_SUFFIXES.length)} AS sfx,
    ${pickSql('j', seed, 'status', sizes.w_status)} AS stk,
    round(exp(ln(200) + 1.4 * ${normalSql('j', seed, 'cap')}), 1) AS reg_capital
  FROM range(${m}) t(j)
), e0 AS (
  SELECT d.*, c.code AS county_code, c.city FROM draws d JOIN w_county c ON c.k = d.ck
), e AS (
  SELECT *, ${base17Expr} AS base17 FROM e0
)
SELECT
  base17 || ${creditCodeCheckSql('base17')} AS credit_code,
  replace(e.city, '市', '') || w.v || (${sqlArray(ENTERPRISE_SUFFIXES)})[sfx + 1] AS name,
  p.id_card AS legal_rep_id_card,
  ind.code AS industry_code,
  greatest(reg_capital, 1.0) AS reg_capital,
  county_code,
  st.status AS status
FROM e
JOIN pool_word w ON w.k = e.wk
JOIN w_industry ind ON ind.k = e.ik
JOIN w_status st ON st.k = e.stk
JOIN (SELECT row_number() OVER () - 1 AS i, id_card FROM population) p ON p.i = e.rep_i
ORDER BY j`;
}

function socialInsuranceSql(seed: number, enterprises: number): string {
  // Working-age people (18–60) are employed with probability 0.7; each has one employer and
  // twelve monthly contributions in 2024 on a log-normal base within Zhejiang's 2024 bounds.
  // Not sorted: the largest table; its contents (and content hash) are the same every run,
  // only the physical row order may differ.
  return `
CREATE TABLE social_insurance AS
WITH ppl AS (
  SELECT row_number() OVER () - 1 AS i, id_card, birth_date FROM population
), emp AS (
  SELECT i, id_card,
    ${pickSql('i', seed, 'employer', enterprises)} AS ek,
    least(greatest(exp(ln(6500) + 0.45 * ${normalSql('i', seed, 'wage')}), 4462), 24930) AS base
  FROM ppl
  WHERE date_diff('year', birth_date, DATE '2024-12-31') BETWEEN 18 AND 60
    AND ${uniformSql('i', seed, 'employed')} < 0.7
), ent AS (SELECT row_number() OVER () - 1 AS ek, credit_code FROM enterprise)
SELECT emp.id_card, ent.credit_code,
  '2024-' || lpad(m::VARCHAR, 2, '0') AS month,
  round(emp.base * (1 + 0.02 * (m - 1) / 11), 2) AS base_amount,
  ${uniformSql('emp.i * 13 + m', seed, 'paid')} < 0.97 AS paid
FROM emp JOIN ent USING (ek) CROSS JOIN range(1, 13) t(m)`;
}

function medicalClaimsSql(c: number, people: number, seed: number, sizes: PoolSizes): string {
  // Claims fall more in winter for respiratory diagnoses; amounts are log-normal.
  const month = `CASE WHEN icd.winter AND ${uniformSql('d.k', seed, 'season')} < 0.5 THEN (ARRAY[1, 2, 12, 11, 3])[${pickSql('d.k', seed, 'wm', 5)} + 1] ELSE 1 + ${pickSql('d.k', seed, 'm', 12)} END`;
  return `
CREATE TABLE medical_claims AS
WITH d AS (
  SELECT k,
    ${pickSql('k', seed, 'patient', people)} AS pi,
    ${pickSql('k', seed, 'icd', sizes.w_icd)} AS ik,
    ${pickSql('k', seed, 'hosp', HOSPITAL_SUFFIXES.length)} AS hk,
    round(exp(ln(320) + 1.1 * ${normalSql('k', seed, 'amt')}), 2) AS amount,
    1 + ${pickSql('k', seed, 'day', 28)} AS day
  FROM range(${c}) t(k)
), ppl AS (
  SELECT row_number() OVER () - 1 AS pi, p.id_card, c.name AS county_name
  FROM population p JOIN (SELECT DISTINCT code, name FROM w_county) c ON c.code = p.county_code
)
SELECT
  'YB2024' || lpad((d.k + 1)::VARCHAR, 10, '0') AS claim_id,
  ppl.id_card,
  ppl.county_name || (${sqlArray(HOSPITAL_SUFFIXES)})[hk + 1] AS hospital,
  icd.code AS icd10,
  greatest(amount, 5.0) AS amount,
  make_date(2024, (${month})::INTEGER, day::INTEGER) AS claim_date
FROM d JOIN ppl USING (pi) JOIN w_icd icd ON icd.k = d.ik
ORDER BY d.k`;
}

function sqlArray(values: readonly string[]): string {
  return `ARRAY[${values.map(sqlString).join(', ')}]`;
}
