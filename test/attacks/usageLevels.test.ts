// Column usage levels attacked: every level's allowed and refused shapes (SCQL's CCL examples
// ported), WHERE poisoning, levels laundered through CTEs, casts, string functions, CASE,
// windows, set operations, subqueries and aliases, and scripts that combine allowed queries.
// The levels here are the catalog's defaults (datasets/usage.ts), read from DuckDB's own tree.
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATALOG, defaultUsage, type UsageLevel } from '../../datasets/index.ts';
import { OpError } from '../../errors/index.ts';
import { checkQuery } from '../../sandbox/index.ts';
import { checkUsage, resultLevels } from '../../sandbox/usage.ts';

let instance: DuckDBInstance;
let con: DuckDBConnection;
beforeAll(async () => {
  instance = await DuckDBInstance.create(':memory:');
  con = await instance.connect();
});
afterAll(() => {
  con.closeSync();
  instance.closeSync();
});

const EXTRA: Record<string, Record<string, UsageLevel>> = {
  // SCQL's example: ta (Alice's) and tb (Bob's), seen by Alice: tb.id join only, tb.rank compare only.
  ta: { id: 'plaintext', rank: 'plaintext' },
  tb: { id: 'join_key', rank: 'compare' },
  secret: { id: 'join_key', v: 'encrypted', g: 'group_by', n: 'aggregate', c: 'compare', p: 'plaintext' },
};
const columnsOf = (t: string): string[] => (EXTRA[t] ? Object.keys(EXTRA[t]!) : (CATALOG.find((d) => d.id === t)?.fields.map((f) => f.name) ?? []));
const levelOf = (t: string, c: string): UsageLevel => EXTRA[t]?.[c] ?? defaultUsage(CATALOG.find((d) => d.id === t)!.fields.find((f) => f.name === c)!).sandbox;

async function tree(sql: string) {
  const j = JSON.parse(String((await con.runAndReadAll('SELECT json_serialize_sql($1::VARCHAR) AS j', [sql])).getRowObjectsJS()[0]!.j));
  expect(j.error, sql).toBeFalsy();
  return j.statements[0];
}
async function verdict(sql: string): Promise<string> {
  try {
    checkUsage(await tree(sql), columnsOf, levelOf, 'operator');
    return 'ok';
  } catch (err) {
    if (err instanceof OpError) {
      expect(err.code).toBe('SQL_USAGE_REFUSED');
      return `refused ${String(err.details?.column)}:${String(err.details?.level)}`;
    }
    throw err;
  }
}

describe('catalog defaults', () => {
  it('tokens join only, masked identifiers never shown, magnitudes aggregated, sensitive categories grouped', () => {
    const pop = (f: string) => levelOf('population', f);
    expect([pop('id_card'), pop('name'), pop('phone'), pop('gender'), pop('birth_date'), pop('county_code')]).toEqual([
      'join_key',
      'encrypted',
      'encrypted',
      'plaintext',
      'plaintext',
      'plaintext',
    ]);
    expect([
      levelOf('medical_claims', 'amount'),
      levelOf('medical_claims', 'icd10'),
      levelOf('social_insurance', 'base_amount'),
      levelOf('enterprise', 'credit_code'),
    ]).toEqual(['aggregate', 'group_by', 'aggregate', 'join_key']);
  });
});

describe('SCQL documentation examples', () => {
  it('refuses tb.rank shown to Alice, allows the comparison ta.rank > tb.rank', async () => {
    expect(await verdict('SELECT tb.rank FROM ta JOIN tb ON ta.id = tb.id')).toBe('refused rank:compare');
    expect(await verdict('SELECT ta.rank > tb.rank FROM ta JOIN tb ON ta.id = tb.id')).toBe('ok');
  });
});

const ALLOWED: readonly string[] = [
  // The README's and the benchmarks' analyst queries.
  'SELECT county_code, count(*) AS people FROM population WHERE gender = $gender GROUP BY county_code ORDER BY county_code',
  'SELECT p.county_code, count(DISTINCT p.id_card) AS people, round(avg(s.base_amount), 2) AS avg_base FROM population p JOIN social_insurance s ON s.id_card = p.id_card GROUP BY p.county_code ORDER BY p.county_code',
  'SELECT p.county_code, year(p.birth_date) // 4 AS era, count(*) AS people, round(avg(s.base_amount), 2) AS avg_base, sum(s.base_amount) AS total_base FROM population p JOIN social_insurance s USING (id_card) GROUP BY 1, 2',
  'SELECT count(*) AS n FROM population',
  // join_key: joins (explicit, implicit, IN, EXISTS) and counts.
  'SELECT count(DISTINCT id_card) FROM medical_claims',
  'SELECT p.gender, count(*) FROM population p, medical_claims c WHERE p.id_card = c.id_card GROUP BY p.gender',
  'SELECT gender, count(*) FROM population WHERE id_card IN (SELECT id_card FROM medical_claims) GROUP BY gender',
  'SELECT gender, count(*) FROM population p WHERE EXISTS (SELECT 1 FROM medical_claims c WHERE c.id_card = p.id_card) GROUP BY gender',
  // aggregate: summarised, also through CASE, FILTER and a WHERE on it under an aggregation.
  'SELECT hospital, sum(amount), avg(amount), stddev(amount) FROM medical_claims GROUP BY hospital',
  'SELECT sum(CASE WHEN amount > 1000 THEN 1 ELSE 0 END) AS big FROM medical_claims',
  'SELECT count(*) FILTER (WHERE amount > 1000) AS big FROM medical_claims',
  'SELECT hospital, count(*) FROM medical_claims WHERE amount > 1000 GROUP BY hospital',
  'WITH t AS (SELECT hospital, sum(amount) AS s FROM medical_claims GROUP BY hospital) SELECT hospital, s FROM t ORDER BY s',
  // group_by: a group key is shown as the key of its group, by name, position or alias.
  'SELECT icd10, count(*) FROM medical_claims GROUP BY icd10',
  'SELECT icd10, count(*) FROM medical_claims GROUP BY 1',
  'SELECT substr(icd10, 1, 3) AS chapter, count(*) FROM medical_claims GROUP BY chapter',
  'SELECT icd10 FROM medical_claims GROUP BY ALL',
  // compare and encrypted.
  'SELECT p, c > 5 AS big FROM secret',
  'SELECT p FROM secret WHERE c BETWEEN 1 AND 5',
  'SELECT p, count(*) FROM secret WHERE v > 10 GROUP BY p',
  'SELECT count(v) FROM secret',
  'SELECT gender, count(*) FROM population WHERE phone IS NOT NULL GROUP BY gender',
  // Nothing restricted read: unknown shapes are fine.
  'SELECT * FROM range(10)',
  'SELECT county_code, gender FROM population',
];

const REFUSED: readonly [string, string][] = [
  // Tokens row by row, however dressed.
  ['SELECT id_card FROM population', 'id_card:join_key'],
  ['SELECT * FROM population', 'id_card:join_key'],
  ['SELECT id_card AS x FROM population', 'x:join_key'],
  ["SELECT CAST(id_card AS VARCHAR) || '' AS x FROM population", 'x:join_key'],
  ['SELECT upper(reverse(substr(id_card, 2))) AS x FROM population', 'x:join_key'],
  ['SELECT hash(id_card) AS h FROM population', 'h:join_key'],
  ['WITH population AS (SELECT id_card AS county_code FROM main.population) SELECT county_code FROM population', 'county_code:join_key'],
  ['SELECT x FROM (SELECT id_card AS x FROM population) t', 'x:join_key'],
  ["SELECT CASE WHEN gender = 'F' THEN id_card ELSE '-' END AS x FROM population", 'x:join_key'],
  ['SELECT county_code FROM population UNION ALL SELECT id_card FROM population', 'county_code:join_key'],
  ['SELECT id_card FROM population INTERSECT SELECT id_card FROM medical_claims', 'id_card:join_key'],
  ['SELECT county_code, list(id_card) FROM population GROUP BY 1', '#2:join_key'],
  ['SELECT county_code, max(id_card) AS m FROM population GROUP BY 1', 'm:join_key'],
  ["SELECT county_code, string_agg(id_card, ',') AS s FROM population GROUP BY 1", 's:join_key'],
  ['SELECT lag(id_card) OVER (ORDER BY county_code) AS l FROM population', 'l:join_key'],
  ['SELECT (SELECT id_card FROM population LIMIT 1) AS x', 'x:join_key'],
  ['SELECT c.id_card FROM medical_claims c JOIN population p USING (id_card)', 'id_card:join_key'],
  ['SELECT * REPLACE (gender || id_card AS gender) FROM population', 'id_card:join_key'],
  // Selecting a person by token (WHERE poisons every column).
  ["SELECT gender, county_code FROM population WHERE id_card = 'abc'", 'gender:join_key'],
  ["SELECT count(*) AS n FROM population WHERE id_card = 'abc'", 'n:join_key'],
  ["SELECT count(*) FILTER (WHERE id_card LIKE 'a%') AS n FROM population", 'n:join_key'],
  ["SELECT count(CASE WHEN id_card = 'abc' THEN 1 END) AS n FROM population", 'n:join_key'],
  ['SELECT gender, count(*) AS n FROM population GROUP BY id_card, gender', 'gender:join_key'],
  ['SELECT gender, row_number() OVER (PARTITION BY id_card) AS r FROM population', 'r:join_key'],
  ['SELECT county_code FROM population ORDER BY id_card', 'county_code:join_key'],
  ['SELECT DISTINCT ON (id_card) county_code FROM population', 'county_code:join_key'],
  // Masked identifiers are never shown, even compared.
  ['SELECT phone FROM population', 'phone:encrypted'],
  ["SELECT phone LIKE '138%' AS p FROM population", 'p:encrypted'],
  ["SELECT name = '张*' AS same FROM population", 'same:encrypted'],
  // Aggregate-only magnitudes row by row, or carried by value-carrying aggregates and frames.
  ['SELECT amount FROM medical_claims', 'amount:aggregate'],
  ['SELECT hospital, amount * 2 AS a FROM medical_claims', 'a:aggregate'],
  ['SELECT hospital, max(amount) AS m FROM medical_claims GROUP BY 1', 'm:aggregate'],
  ['SELECT sum(amount) OVER (ORDER BY claim_date ROWS BETWEEN CURRENT ROW AND CURRENT ROW) AS s FROM medical_claims', 's:aggregate'],
  ['SELECT sum(amount) OVER (ORDER BY claim_date) AS s FROM medical_claims', 's:aggregate'],
  ['SELECT hospital, sum(amount) OVER (PARTITION BY hospital) AS s FROM medical_claims', 's:aggregate'],
  ['SELECT hospital FROM medical_claims WHERE amount > 1000', 'hospital:aggregate'],
  ['SELECT amount > 1000 AS big FROM medical_claims', 'big:aggregate'],
  ['SELECT hospital, count(*) FROM medical_claims GROUP BY hospital, amount', 'hospital:aggregate'],
  ['SELECT hospital FROM medical_claims ORDER BY amount', 'hospital:aggregate'],
  ['SELECT rank() OVER (ORDER BY amount) AS r FROM medical_claims', 'r:aggregate'],
  ['SELECT p.gender FROM population p WHERE EXISTS (SELECT 1 FROM medical_claims c WHERE c.id_card = p.id_card AND c.amount > 100000)', 'gender:aggregate'],
  ['SELECT hospital FROM medical_claims GROUP BY hospital HAVING max(amount) > 1000', 'hospital:aggregate'],
  // Group-by-only categories row by row or compared.
  ['SELECT icd10 FROM medical_claims', 'icd10:group_by'],
  ["SELECT hospital FROM medical_claims WHERE icd10 = 'E11'", 'hospital:group_by'],
  ['SELECT hospital, list(icd10) AS l FROM medical_claims GROUP BY hospital', 'l:group_by'],
  // Compare-only and encrypted values themselves.
  ['SELECT c FROM secret', 'c:compare'],
  ['SELECT c + 1 > 5 AS b, c AS raw FROM secret', 'raw:compare'],
  ['SELECT sum(c) AS s FROM secret', 's:compare'],
  ['SELECT v FROM secret', 'v:encrypted'],
  ['SELECT v > 10 AS b FROM secret', 'b:encrypted'],
  ['SELECT p, count(*) FROM secret GROUP BY p, v', 'p:encrypted'],
  // Mixed restrictions and shapes that cannot be followed.
  ['SELECT g || CAST(n AS VARCHAR) AS x FROM secret', 'x:unknown'],
  ['SELECT list_transform([id_card], x -> x) AS l FROM population', 'l:unknown'],
];

describe('allowed shapes', () => {
  for (const sql of ALLOWED) it(sql, async () => expect(await verdict(sql)).toBe('ok'));
});

describe('refused shapes', () => {
  for (const [sql, why] of REFUSED) it(sql, async () => expect(await verdict(sql)).toBe(`refused ${why}`));
});

describe('derivation', () => {
  it('a recursive CTE settles to the level of what it reads', async () => {
    const r = resultLevels(
      await tree('WITH RECURSIVE r(n, t) AS (SELECT 1, id_card FROM population UNION ALL SELECT n + 1, t FROM r WHERE n < 3) SELECT n, t FROM r'),
      columnsOf,
      levelOf,
    );
    expect(r.items.map((i) => i.level)).toEqual(['plaintext', 'join_key']);
  });
  it('a correlated scalar subquery is one group per outer row: a per-person sum is refused, a per-county one is not', async () => {
    expect(await verdict('SELECT p.gender, (SELECT max(c.amount) FROM medical_claims c WHERE c.id_card = p.id_card) AS m FROM population p')).toBe(
      'refused m:unknown',
    );
    expect(await verdict('SELECT p.gender, (SELECT sum(c.amount) FROM medical_claims c WHERE c.id_card = p.id_card) AS m FROM population p')).toBe(
      'refused m:join_key',
    );
    expect(await verdict('SELECT e.county_code, (SELECT count(*) FROM population p WHERE p.county_code = e.county_code) AS m FROM enterprise e')).toBe('ok');
    expect(await verdict("SELECT (SELECT count(*) FROM population WHERE id_card = 'abc') AS m")).toBe('refused m:join_key');
    expect(
      await verdict('SELECT p.gender, t.s FROM population p, LATERAL (SELECT sum(c.amount) AS s FROM medical_claims c WHERE c.id_card = p.id_card) t'),
    ).toBe('refused s:join_key');
  });
});

describe("group floors (SCQL's minimum group size)", () => {
  const units = (t: string) => CATALOG.find((d) => d.id === t)?.unit?.field;
  const gate = (sql: string) => checkQuery(con, sql, new Set(CATALOG.map((d) => d.id)), columnsOf, { levelOf, audience: 'sandbox', unitOf: units });
  it('a grouped query revealing an aggregate-only or group-by-only column keeps groups of at least 3 units of that table', async () => {
    expect((await gate('SELECT hospital, claim_date, sum(amount) AS s FROM medical_claims GROUP BY 1, 2')).run).toMatch(
      /HAVING \(count\(DISTINCT medical_claims\.id_card\) >= 3\)/,
    );
    expect((await gate('SELECT icd10, count(*) AS n FROM medical_claims GROUP BY icd10')).run).toMatch(
      /HAVING \(count\(DISTINCT medical_claims\.id_card\) >= 3\)/,
    );
    const joined = (
      await gate(
        'SELECT p.gender, avg(c.amount) AS a FROM population p JOIN medical_claims c ON c.id_card = p.id_card WHERE c.amount > 10 GROUP BY p.gender HAVING count(*) > 1',
      )
    ).run!;
    expect(joined).toMatch(/HAVING \(\(count_star\(\) > 1\) AND \(count\(DISTINCT c\.id_card\) >= 3\)\)/);
    // Inside a CTE the floor is where the aggregation is.
    expect((await gate('WITH t AS (SELECT hospital, sum(amount) AS s FROM medical_claims GROUP BY hospital) SELECT * FROM t')).run).toMatch(
      /GROUP BY hospital HAVING \(count\(DISTINCT medical_claims\.id_card\) >= 3\)\)/,
    );
    // A derived table that hides the unit would be floored by rows (one person's rows can fill it): refused.
    await expect(gate('SELECT h, sum(a) FROM (SELECT hospital AS h, amount AS a FROM medical_claims) GROUP BY h')).rejects.toMatchObject({
      code: 'SQL_USAGE_REFUSED',
      message: expect.stringMatching(/keep medical_claims\.id_card/),
    });
    expect((await gate('SELECT h, sum(a) FROM (SELECT hospital AS h, amount AS a, id_card FROM medical_claims) GROUP BY h')).run).toMatch(
      /HAVING \(count\(DISTINCT id_card\) >= 3\)/,
    );
  });
  it('plaintext-only and count-only queries run as written', async () => {
    expect((await gate('SELECT county_code, count(*) FROM population GROUP BY 1')).run).toBeUndefined();
    expect((await gate('SELECT county_code, count(DISTINCT id_card) FROM population GROUP BY 1')).run).toBeUndefined();
  });
});
