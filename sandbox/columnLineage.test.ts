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
    const l = await lineage("SELECT county_code, count(id_card) AS n, avg(year(birth_date)) AS a, max(id_card) AS m, string_agg(id_card, ',') AS s, list(birth_date) AS b FROM population GROUP BY 1");
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
    const l = await lineage("SELECT county_code, count(DISTINCT id_card) AS n FROM population WHERE birth_date > DATE '1990-01-01' GROUP BY 1 HAVING count(DISTINCT id_card) >= 10 AND max(birth_date) > DATE '2000-01-01'");
    const filters = l.dataset.filter((d) => d.subtype === 'FILTER').map((d) => d.column).sort();
    expect(filters).toEqual(['birth_date']);
  });
});
