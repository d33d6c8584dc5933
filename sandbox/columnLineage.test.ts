import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { columnLineage } from './columnLineage.ts';

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

const COLUMNS: Record<string, string[]> = { population: ['id_card', 'county_code', 'birth_date'], social_insurance: ['id_card', 'base_amount', 'month'] };
async function lineage(sql: string) {
  const tree = JSON.parse(String((await con.runAndReadAll('SELECT json_serialize_sql($1::VARCHAR) AS j', [sql])).getRowObjectsJS()[0]!.j));
  return columnLineage(tree.statements[0], (t) => COLUMNS[t] ?? [])!;
}
const subtypes = (l: Awaited<ReturnType<typeof lineage>>, out: string) => l.fields[out]!.map((i) => `${i.table}.${i.column}:${i.subtype}`);

describe('column lineage', () => {
  it('tells summarised inputs from carried ones: min, max, lists and string_agg carry values out', async () => {
    const l = await lineage(
      "SELECT county_code, count(id_card) AS n, avg(year(birth_date)) AS a, max(id_card) AS m, string_agg(id_card, ',') AS s, list(birth_date) AS b FROM population GROUP BY 1",
    );
    expect(subtypes(l, 'county_code')).toEqual(['population.county_code:IDENTITY']);
    expect(subtypes(l, 'n')).toEqual(['population.id_card:AGGREGATION']);
    expect(subtypes(l, 'a')).toEqual(['population.birth_date:AGGREGATION']);
    expect(subtypes(l, 'm')).toEqual(['population.id_card:TRANSFORMATION']);
    expect(subtypes(l, 's')).toEqual(['population.id_card:TRANSFORMATION']);
    expect(subtypes(l, 'b')).toEqual(['population.birth_date:TRANSFORMATION']);
  });

  it('reads model aggregates as aggregation', async () => {
    const l = await lineage('SELECT regr_slope(s.base_amount, year(p.birth_date)) AS slope FROM population p JOIN social_insurance s ON s.id_card = p.id_card');
    expect(subtypes(l, 'slope')).toEqual(['social_insurance.base_amount:AGGREGATION', 'population.birth_date:AGGREGATION']);
  });

  it('a HAVING on a count filters groups by size, not by the counted column; other filters stay', async () => {
    const l = await lineage(
      "SELECT county_code, count(DISTINCT id_card) AS n FROM population WHERE birth_date > DATE '1990-01-01' GROUP BY 1 HAVING count(DISTINCT id_card) >= 10 AND max(birth_date) > DATE '2000-01-01'",
    );
    const filters = l.dataset
      .filter((d) => d.subtype === 'FILTER')
      .map((d) => d.column)
      .sort();
    expect(filters).toEqual(['birth_date']);
  });
});

describe('column lineage through scopes', () => {
  const items = async (sql: string) =>
    (await lineage(sql)).items.map((it) => ({
      name: it.name,
      unknown: it.unknown,
      aggregate: it.aggregate,
      inputs: it.inputs.map((i) => `${i.table}.${i.column}:${i.subtype}`),
    }));
  it('follows a CTE named like a catalog table to what it really selects', async () => {
    const l = await items('WITH population AS (SELECT id_card AS county_code FROM social_insurance) SELECT county_code FROM population');
    expect(l).toEqual([{ name: 'county_code', unknown: false, aggregate: false, inputs: ['social_insurance.id_card:IDENTITY'] }]);
  });
  it('follows derived tables, keeps the aggregate nature of their columns, and composes transformations', async () => {
    const l = await items('SELECT upper(k) AS u, n FROM (SELECT id_card AS k, count(*) AS n FROM population GROUP BY 1) AS population');
    expect(l).toEqual([
      { name: 'u', unknown: false, aggregate: false, inputs: ['population.id_card:TRANSFORMATION'] },
      { name: 'n', unknown: false, aggregate: true, inputs: [] },
    ]);
  });
  it('expands stars and merges set operations by position', async () => {
    const star = await items('SELECT * EXCLUDE (birth_date) FROM population');
    expect(star.map((i) => i.inputs[0])).toEqual(['population.id_card:IDENTITY', 'population.county_code:IDENTITY']);
    const union = await items('SELECT county_code FROM population UNION ALL SELECT month FROM social_insurance');
    expect(union[0]!.inputs).toEqual(['population.county_code:IDENTITY', 'social_insurance.month:IDENTITY']);
  });
  it('reads what a scalar subquery carries, and marks a reference it cannot resolve as unknown', async () => {
    const sub = await items('SELECT (SELECT max(id_card) FROM population) AS top');
    expect(sub[0]).toMatchObject({ aggregate: true, inputs: ['population.id_card:TRANSFORMATION'] });
    const ambiguous = await items('SELECT id_card FROM population, social_insurance');
    expect(ambiguous[0]!.unknown).toBe(true);
    const generated = await items('SELECT range AS x FROM range(3)');
    expect(generated[0]!.unknown).toBe(true);
  });
});
