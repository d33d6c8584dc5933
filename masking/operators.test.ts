// Every operator: examples in, expected out (NULLs, empty strings, non-Chinese names, invalid
// IDs included), computed by DuckDB from the SQL the operator compiles to.
import { createHmac } from 'node:crypto';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FieldSpec, FieldType } from '../datasets/index.ts';
import { operatorFor, scopeKeyHex } from './index.ts';

let inst: DuckDBInstance;
let con: DuckDBConnection;
beforeAll(async () => {
  inst = await DuckDBInstance.create(':memory:');
  con = await inst.connect();
});
afterAll(() => {
  con.closeSync();
  inst.closeSync();
});

const KEY = '11'.repeat(32);
const ctx = { scopeKeyHex: (s: string) => scopeKeyHex(KEY, s) };
const field = (type: FieldType): FieldSpec => ({
  name: 'v',
  type,
  description: '',
  category: 'personal',
  grade: 'general',
  openness: 'conditional',
  role: 'other',
  mask: { op: 'keep' },
});

async function apply(op: string, params: unknown, type: FieldType, values: (string | number | null)[]): Promise<unknown[]> {
  const o = operatorFor(op);
  const p = o.validate(params);
  const expr = o.toSql('v', p, field(type), ctx);
  if (expr === null) return values.map(() => 'DROPPED');
  const lit = (v: string | number | null) => (v === null ? `NULL::${type}` : typeof v === 'number' ? `${v}::${type}` : `'${v}'::${type}`);
  const sql = `SELECT ${expr} AS out FROM (VALUES ${values.map((v, i) => `(${i}, ${lit(v)})`).join(', ')}) t(i, v) ORDER BY i`;
  return (await con.runAndReadAll(sql)).getRowObjectsJson().map((r) => r.out);
}

describe('masking operators', () => {
  it('mask presets: names, mobiles, ID numbers, addresses', async () => {
    expect(await apply('mask', { preset: 'name' }, 'VARCHAR', ['张伟', '欧阳娜娜', 'Smith', 'A', '', null])).toEqual(['张*', '欧***', 'S****', '*', '', null]);
    expect(await apply('mask', { preset: 'mobile' }, 'VARCHAR', ['13812345678', '123', null])).toEqual(['138****5678', '***', null]);
    expect(await apply('mask', { preset: 'id_card' }, 'VARCHAR', ['11010519491231002X', 'not-an-id'])).toEqual(['110*************2X', 'not****id']);
    expect(await apply('mask', { preset: 'address' }, 'VARCHAR', ['浙江省杭州市西湖区文三路1号', '上海市黄浦区', 'somewhere', null])).toEqual([
      '浙江省杭州市****',
      '上海市****',
      '****',
      null,
    ]);
    expect(await apply('mask', { keepFirst: 2, keepLast: 1, char: '#' }, 'VARCHAR', ['abcdef'])).toEqual(['ab###f']);
  });
  it('token: the keyed HMAC-SHA256 of the value, NULL stays NULL', async () => {
    const expected = createHmac('sha256', Buffer.from(scopeKeyHex(KEY, 'person'), 'hex'))
      .update('11010519491231002X', 'utf8')
      .digest('hex')
      .slice(0, 32);
    const chinese = createHmac('sha256', Buffer.from(scopeKeyHex(KEY, 'person'), 'hex'))
      .update('张伟\\x41', 'utf8')
      .digest('hex')
      .slice(0, 32);
    expect(await apply('token', { scope: 'person' }, 'VARCHAR', ['11010519491231002X', '张伟\\x41', null])).toEqual([expected, chinese, null]);
    const other = await apply('token', { scope: 'enterprise' }, 'VARCHAR', ['11010519491231002X']);
    expect(other[0]).not.toBe(expected);
  });
  it('bucket, date_trunc, region, replace, nullify, drop, keep', async () => {
    expect(await apply('bucket', { lower: 0, upper: 100, size: 10 }, 'DOUBLE', [5, 15.5, -3, 250, null])).toEqual([0, 10, 0, 100, null]);
    expect(await apply('date_trunc', { unit: 'year' }, 'DATE', ['1987-07-14', null])).toEqual(['1987-01-01', null]);
    expect(await apply('date_trunc', { unit: 'quarter' }, 'DATE', ['1987-08-14'])).toEqual(['1987-07-01']);
    expect(await apply('region', { level: 'city' }, 'VARCHAR', ['330106', '33010', null])).toEqual(['330100', null, null]);
    expect(await apply('region', { level: 'province' }, 'VARCHAR', ['330106'])).toEqual(['330000']);
    expect(await apply('replace', { value: '已脱敏' }, 'VARCHAR', ['x', null])).toEqual(['已脱敏', null]);
    expect(await apply('nullify', {}, 'VARCHAR', ['x'])).toEqual([null]);
    expect(await apply('drop', {}, 'VARCHAR', ['x'])).toEqual(['DROPPED']);
    expect(await apply('keep', {}, 'VARCHAR', ['x', ''])).toEqual(['x', '']);
  });
  it('validate() refuses bad parameters with MASK_BAD_PARAMS', () => {
    const bad: [string, unknown][] = [
      ['mask', { preset: 'nope' }],
      ['mask', { keepFirst: -1 }],
      ['mask', { char: '**' }],
      ['mask', { preset: 'name', keepFirst: 1 }],
      ['token', {}],
      ['token', { scope: 'Person!' }],
      ['bucket', { lower: 10, upper: 0, size: 1 }],
      ['bucket', { lower: 0, upper: 10 }],
      ['date_trunc', { unit: 'week' }],
      ['region', { level: 'street' }],
      ['replace', { value: 1 }],
      ['keep', { x: 1 }],
      ['mask', 'name'],
    ];
    for (const [op, params] of bad)
      expect(() => operatorFor(op).validate(params), `${op} ${JSON.stringify(params)}`).toThrow(expect.objectContaining({ code: 'MASK_BAD_PARAMS' }));
    expect(() => operatorFor('shuffle')).toThrow(expect.objectContaining({ code: 'MASK_UNKNOWN_OPERATOR' }));
  });
});

describe('keyed operators: date_shift, noise, derive', () => {
  const run = async (sql: string) => (await con.runAndReadAll(sql)).getRowObjectsJson();
  it('date_shift moves every date of one entity by the same keyed amount, wrapped within the observed range', async () => {
    const op = operatorFor('date_shift');
    const expr = op.toSql('v', op.validate({ minDays: -30, maxDays: 30, by: 'e' }), field('DATE'), ctx)!;
    const rows = await run(
      `SELECT e, v, ${expr} AS s FROM (VALUES ('p1', DATE '2024-01-10'), ('p1', DATE '2024-03-01'), ('p2', DATE '2024-01-01'), ('p3', DATE '2024-12-31'), ('p2', NULL)) t(e, v) ORDER BY e, v NULLS LAST`,
    );
    const day = (x: unknown) => Date.parse(String(x)) / 86_400_000;
    const [lo, hi] = [day('2024-01-01'), day('2024-12-31')];
    const span = hi - lo + 1;
    const shift = (r: Record<string, unknown>) => (((day(r.s) - day(r.v)) % span) + span) % span;
    // One shift per entity (modulo the range), and every masked date inside the raw range.
    expect(shift(rows[0]!)).toBe(shift(rows[1]!));
    for (const r of rows.filter((x) => x.v !== null)) {
      expect(day(r.s)).toBeGreaterThanOrEqual(lo);
      expect(day(r.s)).toBeLessThanOrEqual(hi);
      const sh = shift(r);
      expect(Math.min(sh, span - sh)).toBeLessThanOrEqual(30);
    }
    expect(rows.find((x) => x.v === null)!.s).toBeNull();
    const otherKey = operatorFor('date_shift').toSql('v', op.validate({ minDays: -30, maxDays: 30, by: 'e' }), field('DATE'), {
      scopeKeyHex: (s: string) => scopeKeyHex('22'.repeat(32), s),
    })!;
    const shifts = await run(
      `SELECT count(DISTINCT d)::INT AS n FROM (SELECT (${otherKey}) - (${expr}) AS d FROM (SELECT 'p' || range AS e, DATE '2024-01-01' + CAST(range AS INTEGER) AS v FROM range(200)))`,
    );
    expect(Number(shifts[0]!.n)).toBeGreaterThan(10); // another tenant's key gives other shifts
    expect(() => op.validate({ minDays: 5, maxDays: 1, by: 'e' })).toThrow(expect.objectContaining({ code: 'MASK_BAD_PARAMS' }));
  });
  it('noise is keyed per row (equal values do not get equal noise), centred, within the observed range, and keeps NULLs', async () => {
    const op = operatorFor('noise');
    const expr = op.toSql('v', op.validate({ kind: 'laplace', scale: 10 }), field('DOUBLE'), ctx)!;
    await con.run('CREATE OR REPLACE TABLE nz AS SELECT range::DOUBLE * 3 AS v FROM range(20000)');
    const a = await run(`SELECT avg(x - v) AS bias, count(DISTINCT x - v)::INT AS kinds, min(x) AS lo, max(x) AS hi FROM (SELECT v, ${expr} AS x FROM nz)`);
    expect(Math.abs(Number(a[0]!.bias))).toBeLessThan(1);
    expect(Number(a[0]!.kinds)).toBeGreaterThan(1000);
    expect(Number(a[0]!.lo)).toBeGreaterThanOrEqual(0);
    expect(Number(a[0]!.hi)).toBeLessThanOrEqual(59997);
    await con.run('CREATE OR REPLACE TABLE nz2 AS SELECT * FROM (VALUES (100.0), (100.0), (NULL), (0.0), (500.0)) t(v)');
    const twice = await run(`SELECT ${expr} AS x FROM nz2`);
    expect(twice[0]!.x).not.toBe(twice[1]!.x);
    expect(twice[2]!.x).toBeNull();
    // Rebuilt from the same table: the same noise.
    expect(await run(`SELECT ${expr} AS x FROM nz2`)).toEqual(twice);
    const g = operatorFor('noise').toSql('v', op.validate({ kind: 'gaussian', scale: 5 }), field('BIGINT'), ctx)!;
    await con.run('CREATE OR REPLACE TABLE nz3 AS SELECT range::BIGINT AS v FROM range(20000)');
    const sd = await run(`SELECT stddev(x - v) AS sd FROM (SELECT v, ${g} AS x FROM nz3) WHERE v BETWEEN 100 AND 19900`);
    expect(Number(sd[0]!.sd)).toBeGreaterThan(4);
    expect(Number(sd[0]!.sd)).toBeLessThan(6);
  });
  it('derive keeps birth year, sex, city and province of valid ID numbers only', async () => {
    const op = operatorFor('derive');
    const cols = op.toColumns!('v', op.validate({ parts: ['birth_year', 'sex', 'city', 'province'] }), { ...field('VARCHAR'), name: 'id_card' }, ctx);
    expect(cols.map((c) => c.name)).toEqual(['id_card_birth_year', 'id_card_sex', 'id_card_city', 'id_card_province']);
    const rows = await run(
      `SELECT ${cols.map((c) => `${c.expr} AS ${c.name}`).join(', ')} FROM (VALUES ('11010519491231002X'), ('110105194912310021'), ('abc'), (NULL)) t(v)`,
    );
    expect(rows[0]).toEqual({ id_card_birth_year: 1949, id_card_sex: '女', id_card_city: '110100', id_card_province: '110000' });
    for (const r of rows.slice(1)) expect(Object.values(r).every((x) => x === null)).toBe(true);
    expect(() => op.validate({ parts: ['age'] })).toThrow(expect.objectContaining({ code: 'MASK_BAD_PARAMS' }));
  });
});
