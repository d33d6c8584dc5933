import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contributorsPlan, readMagnitudes } from './magnitudes.ts';

let instance: DuckDBInstance;
let con: DuckDBConnection;
beforeAll(async () => {
  instance = await DuckDBInstance.create(':memory:');
  con = await instance.connect();
  await con.run("CREATE TABLE pay AS SELECT * FROM (VALUES ('a', 'x', 100.0), ('a', 'y', 1.0), ('a', 'z', 1.0), ('b', 'u', 5.0), ('b', 'v', 5.0), ('b', 'w', 5.0)) t(grp, who, amount)");
});
afterAll(() => {
  con.closeSync();
  instance.closeSync();
});

const tree = async (sql: string) => JSON.parse(String((await con.runAndReadAll('SELECT json_serialize_sql($1::VARCHAR) AS j', [sql])).getRowObjectsJS()[0]!.j));

describe('contributors behind magnitude cells', () => {
  it('derives the contributors query from the aggregate one (same FROM and WHERE, no grouping) and reads each group', async () => {
    const plan = (await contributorsPlan(con, await tree("SELECT grp, count(*) AS n, round(sum(amount), 1) AS total FROM pay WHERE amount > $1 GROUP BY grp HAVING count(*) > 1 ORDER BY 1 LIMIT 10")))!;
    expect(plan.dims).toEqual(['grp']);
    expect(plan.measures).toEqual([{ measure: 'total', fn: 'sum', model: false, cols: ['__v0_0'] }]);
    expect(plan.sql).not.toMatch(/GROUP BY|HAVING|LIMIT|ORDER/i);
    const [m] = await readMagnitudes(con, plan, [0]);
    expect(m!.cells.get('["a"]')).toEqual({ n: 3, total: 102, top: [100, 1, 1], min: 1, max: 100 });
    expect(m!.cells.get('["b"]')).toMatchObject({ n: 3, total: 15, min: 5, max: 5 });
  });

  it('counts the observations of a model', async () => {
    const plan = (await contributorsPlan(con, await tree('SELECT regr_slope(amount, length(who)) AS slope FROM pay')))!;
    const [m] = await readMagnitudes(con, plan, []);
    expect(m).toMatchObject({ model: true, fn: 'regr_slope' });
    expect(m!.cells.get('[]')!.n).toBe(6);
  });

  it('has nothing to say about count-only queries', async () => {
    expect(await contributorsPlan(con, await tree('SELECT grp, count(*) AS n FROM pay GROUP BY grp'))).toBeUndefined();
  });

  it('stops a contributors query that runs too long and leaves the cells to a reviewer', async () => {
    const plan = { sql: 'SELECT i % 7 AS __d0, i::DOUBLE AS __v0_0 FROM range(2000000000) t(i)', dims: ['g'], measures: [{ measure: 'total', fn: 'sum', model: false, cols: ['__v0_0'] }] };
    const [m] = await readMagnitudes(con, plan, [], 50);
    expect(m!.error).toMatch(/interrupt/i);
    expect(m!.cells.size).toBe(0);
  });
});
