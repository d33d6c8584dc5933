// Attacks on data products, through the core with real DuckDB and SQLite: proposals that try to
// open the parameter space, leave the gate or publish records; calls whose small cells hide
// behind a FILTER, a value-carrying aggregate or a ROLLUP margin; a row cap; quota counters and
// the audit log that cannot be written (the call is refused, nothing half-written); roles.
import '../plaintextCatalog.ts';
import Database from 'better-sqlite3';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../gateway/index.ts';
import { demoDomain } from '../helpers.ts';

const SCENARIO = 'public-statistics';
let d: Awaited<ReturnType<typeof demoDomain>>;
const who: Record<string, Principal> = {};
let key = '';
/** People per county born before a year at which some counties have ten and some fewer, from the prod file itself. */
const oldByCounty = new Map<string, number>();
let cutoff = 0;
/** A birth year some county has 1 to 9 people of: two ranges that differ by it are nested by a few. */
let nestedYear = 0;
let swapYear = 0;

const spec = (over: Record<string, unknown>) => ({
  product: 'p-county',
  title: 'test',
  scenario: SCENARIO,
  sql: 'SELECT county_code, count(*) AS people FROM population WHERE gender = $gender GROUP BY county_code',
  parameters: { properties: { gender: { type: 'string', enum: ['男', '女'] } } },
  columns: ['county_code', 'people'],
  unit: 'person',
  controls: { minUnits: 10, roundTo: 1, rowCap: 500 },
  ...over,
});

async function refused(p: Promise<unknown> | (() => unknown), code: string): Promise<void> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    expect((err as { code?: string }).code).toBe(code);
    return;
  }
  throw new Error(`expected ${code}, but it succeeded`);
}

/** Proposes, approves (bob, carol) and grants a version to the test consumer; returns its version. */
async function publish(s: Record<string, unknown>, quotas: Record<string, number> = {}): Promise<number> {
  const v = await d.od.products.propose(who.alice!, s);
  for (const r of ['bob', 'carol'])
    if (d.od.products.get(who[r]!, v.product, v.version).state !== 'approved') d.od.products.decide(who[r]!, v.product, v.version, 'approve');
  d.od.consumers.grant(who.ada!, { consumer: 'mallory', product: v.product, version: v.version, ...quotas });
  return v.version;
}

const call = (product: string, version: number, query: Record<string, string>) =>
  d.od.productCalls.call({ key, scenario: SCENARIO, product, version: `v${version}`, query, format: 'json' }).then((a) => ({ ...a, json: JSON.parse(a.body) }));

beforeAll(async () => {
  d = await demoDomain();
  for (const n of ['alice', 'bob', 'carol', 'sam', 'ada']) who[n] = await d.od.principal({ as: n });
  d.od.consumers.add(who.ada!, { id: 'mallory', name: 'Mallory Analytics' });
  key = d.od.consumers.issueKey(who.ada!, 'mallory').key;
  const inst = await DuckDBInstance.create(d.od.ctx.paths.tenantDb('demo', 'prod'), { access_mode: 'READ_ONLY' });
  const con = await inst.connect();
  for (cutoff = 1940; cutoff < 2020; cutoff += 5) {
    oldByCounty.clear();
    for (const r of (
      await con.runAndReadAll(`SELECT county_code, count(*)::INT AS n FROM population WHERE birth_date < DATE '${cutoff}-01-01' GROUP BY ALL`)
    ).getRowObjectsJS())
      oldByCounty.set(String(r.county_code), Number(r.n));
    const n = [...oldByCounty.values()];
    if (n.filter((x) => x >= 10).length >= 5 && n.filter((x) => x < 10).length >= 5) break;
  }
  // A year whose people, in some (county, gender) cell that stays large either way, are 1 to 9.
  const swap = (
    await con.runAndReadAll(`WITH c AS (SELECT county_code, gender, year(birth_date)::INT AS y, count(*) AS n FROM population GROUP BY ALL),
      t AS (SELECT a.y, a.n, (SELECT sum(b.n) FROM c b WHERE b.county_code = a.county_code AND b.gender = a.gender AND b.y > a.y) AS later FROM c a)
    SELECT min(y)::INT AS y FROM t WHERE n BETWEEN 1 AND 9 AND later >= 20 AND y BETWEEN 1940 AND 1990`)
  ).getRowObjectsJS();
  swapYear = Number(swap[0]!.y);
  const years = (
    await con.runAndReadAll(
      'SELECT year(birth_date)::INT AS y FROM population GROUP BY county_code, y HAVING count(*) BETWEEN 1 AND 9 AND y BETWEEN 1940 AND 1999 ORDER BY y LIMIT 1',
    )
  ).getRowObjectsJS();
  nestedYear = Number(years[0]!.y);
  con.closeSync();
  inst.closeSync();
}, 240_000);

afterAll(async () => d?.close());

describe('product proposals that try to open the door', () => {
  it('refuses a free-text parameter, numbered or undeclared parameters, and unused ones', async () => {
    await refused(d.od.products.propose(who.alice!, spec({ parameters: { properties: { gender: { type: 'string' } } } })), 'PRODUCT_INVALID');
    await refused(
      d.od.products.propose(who.alice!, spec({ sql: 'SELECT county_code, count(*) AS people FROM population WHERE gender = $1 GROUP BY county_code' })),
      'PRODUCT_INVALID',
    );
    await refused(
      d.od.products.propose(who.alice!, spec({ sql: 'SELECT county_code, count(*) AS people FROM population WHERE gender = $sex GROUP BY county_code' })),
      'PRODUCT_INVALID',
    );
    await refused(
      d.od.products.propose(
        who.alice!,
        spec({ parameters: { properties: { gender: { type: 'string', enum: ['男'] }, extra: { type: 'integer', minimum: 0, maximum: 1 } } } }),
      ),
      'PRODUCT_INVALID',
    );
    await refused(d.od.products.propose(who.alice!, spec({ parameters: { properties: { n: { type: 'integer', minimum: 0 } } } })), 'PRODUCT_INVALID');
    await refused(
      d.od.products.propose(who.alice!, spec({ parameters: { properties: { gender: { type: 'string', enum: ['男'] } }, additionalProperties: true } })),
      'PRODUCT_INVALID',
    );
    // A parameter the door would take for an API key in the URL (by name or value) is refused at proposal.
    await refused(
      d.od.products.propose(
        who.alice!,
        spec({
          sql: 'SELECT county_code, count(*) AS people FROM population WHERE gender = $key GROUP BY county_code',
          parameters: { properties: { key: { type: 'string', enum: ['男', '女'] } } },
        }),
      ),
      'PRODUCT_INVALID',
    );
    await refused(
      d.od.products.propose(who.alice!, spec({ parameters: { properties: { gender: { type: 'string', enum: ['odk_男', '女'] } } } })),
      'PRODUCT_INVALID',
    );
  });

  it('binds a declared default for an optional parameter, never NULL; a default outside its range is refused', async () => {
    const born = (extra: Record<string, unknown>) =>
      spec({
        product: 'p-default',
        sql: 'SELECT county_code, count(*) AS people FROM population WHERE year(birth_date) BETWEEN $from AND $to GROUP BY county_code',
        parameters: {
          properties: {
            from: { type: 'integer', minimum: 1900, maximum: 2030, ...extra },
            to: { type: 'integer', minimum: 1900, maximum: 2030, example: 2024 },
          },
          required: ['to'],
        },
      });
    await refused(d.od.products.propose(who.alice!, born({})), 'PRODUCT_INVALID');
    await refused(d.od.products.propose(who.alice!, born({ default: 1800 })), 'PRODUCT_INVALID');
    const version = await publish(born({ default: 1900, title: 'born from' }));
    // Its own consumer: these answers are not compared with the other tests'.
    d.od.consumers.add(who.ada!, { id: 'dflt', name: 'Default Ltd' });
    const k = d.od.consumers.issueKey(who.ada!, 'dflt').key;
    d.od.consumers.grant(who.ada!, { consumer: 'dflt', product: 'p-default', version });
    const ask = (query: Record<string, string>) =>
      d.od.productCalls
        .call({ key: k, scenario: SCENARIO, product: 'p-default', version: `v${version}`, query, format: 'json' })
        .then((a) => ({ ...a, json: JSON.parse(a.body) }));
    const implicit = await ask({ to: '2024' });
    const explicit = await ask({ from: '1900', to: '2024' });
    expect(implicit.status, implicit.body).toBe(200);
    expect(implicit.json.rows).toEqual(explicit.json.rows);
    expect((await ask({ from: '1900' })).json.error.code).toBe('PRODUCT_BAD_PARAMETERS');
  });

  it('holds templates to the SQL gate and to the tenant’s own tables', async () => {
    await refused(
      d.od.products.propose(who.alice!, spec({ sql: "SELECT count(*) AS people FROM read_csv('/etc/passwd') WHERE $gender = 'x'", columns: ['people'] })),
      'SQL_FUNCTION_NOT_ALLOWED',
    );
    await refused(
      d.od.products.propose(
        who.alice!,
        spec({ sql: 'SELECT county_code, count(*) AS people FROM raw.population WHERE gender = $gender GROUP BY county_code' }),
      ),
      'SQL_TABLE_NOT_ALLOWED',
    );
    await refused(
      d.od.products.propose(
        who.alice!,
        spec({ sql: 'SELECT county_code, count(*) AS people FROM population WHERE gender = $gender GROUP BY county_code; SELECT 1' }),
      ),
      'SQL_MULTIPLE_STATEMENTS',
    );
  });

  it('blocks a template that publishes records, identifiers or one person’s value', async () => {
    await refused(
      d.od.products.propose(
        who.alice!,
        spec({ sql: 'SELECT id_card, county_code FROM population WHERE gender = $gender', columns: ['id_card', 'county_code'] }),
      ),
      'PRODUCT_BLOCKED',
    );
    await refused(
      d.od.products.propose(
        who.alice!,
        spec({ sql: 'SELECT county_code, max(id_card) AS people FROM population WHERE gender = $gender GROUP BY county_code' }),
      ),
      'PRODUCT_BLOCKED',
    );
  });

  it('refuses a unit of privacy the template’s tables do not count', async () => {
    await refused(
      d.od.products.propose(
        who.alice!,
        spec({
          product: 'p-unit',
          sql: "SELECT industry_code, count(*) AS people FROM enterprise WHERE $gender IN ('男', '女') GROUP BY industry_code",
          columns: ['industry_code', 'people'],
        }),
      ),
      'PRODUCT_INVALID',
    );
  });

  it('refuses declared columns the template does not return, and a scenario the authorization lacks', async () => {
    await refused(d.od.products.propose(who.alice!, spec({ columns: ['county', 'people'] })), 'PRODUCT_INVALID');
    await refused(d.od.products.propose(who.alice!, spec({ scenario: 'marketing' })), 'EXPORT_SCENARIO_NOT_GRANTED');
  });

  it('keeps roles to the table: reviewers do not propose, operators do not approve or revoke, nobody approves their own', async () => {
    await refused(d.od.products.propose(who.bob!, spec({})), 'FORBIDDEN_ROLE');
    const v = await d.od.products.propose(who.alice!, spec({ product: 'p-roles' }));
    await refused(() => d.od.products.decide(who.alice!, 'p-roles', v.version, 'approve'), 'PRODUCT_SELF_APPROVAL');
    await refused(() => d.od.products.decide(who.sam!, 'p-roles', v.version, 'approve'), 'FORBIDDEN_ROLE');
    d.od.products.decide(who.bob!, 'p-roles', v.version, 'approve');
    await refused(() => d.od.products.decide(who.bob!, 'p-roles', v.version, 'approve'), 'PRODUCT_ALREADY_VOTED');
    d.od.products.decide(who.carol!, 'p-roles', v.version, 'approve');
    await refused(() => d.od.products.revoke(who.alice!, 'p-roles', v.version, 'mine'), 'FORBIDDEN_ROLE');
    await refused(() => d.od.consumers.grant(who.alice!, { consumer: 'mallory', product: 'p-roles', version: v.version }), 'FORBIDDEN_ROLE');
    await refused(() => d.od.consumers.issueKey(who.sam!, 'mallory'), 'FORBIDDEN_ROLE');
    expect(d.od.products.get(who.alice!, 'p-roles', v.version).actions).toEqual([]);
  });
});

describe('keys and grants that should not open anything', () => {
  it('an expired key, an expired grant, a revoked consumer stop the call; administration refuses what does not exist', async () => {
    const version = await publish(spec({ product: 'p-expiry' }));
    d.od.consumers.add(who.ada!, { id: 'eve', name: 'Eve' });
    await refused(() => d.od.consumers.add(who.ada!, { id: 'eve', name: 'Eve again' }), 'CONSUMER_EXISTS');
    await refused(() => d.od.consumers.issueKey(who.ada!, 'nobody'), 'CONSUMER_NOT_FOUND');
    await refused(() => d.od.consumers.revokeKey(who.ada!, '0000000000000000', 'lost'), 'API_KEY_NOT_FOUND');
    await refused(() => d.od.consumers.revokeGrant(who.ada!, 'grt_0000000000000000', 'ended'), 'GRANT_NOT_FOUND');
    await refused(() => d.od.consumers.grant(who.ada!, { consumer: 'eve', product: 'p-expiry', version: 99 }), 'PRODUCT_NOT_FOUND');
    await refused(() => d.od.consumers.grant(who.ada!, { consumer: 'eve', product: 'p-expiry', version, scenario: 'marketing' }), 'PRODUCT_SCENARIO_MISMATCH');
    await refused(() => d.od.consumers.issueKey(who.ada!, 'eve', { days: 400 }), 'BAD_REQUEST');
    const k = d.od.consumers.issueKey(who.ada!, 'eve');
    const g = d.od.consumers.grant(who.ada!, { consumer: 'eve', product: 'p-expiry', version });
    const ask = () =>
      d.od.productCalls
        .call({ key: k.key, scenario: SCENARIO, product: 'p-expiry', version: `v${version}`, query: { gender: '男' }, format: 'json' })
        .then((a) => JSON.parse(a.body));
    expect((await ask()).rows).toBeDefined();
    // Time passes: the grant's validity ends, then the key's.
    const past = new Date(Date.now() - 1000).toISOString();
    d.od.ctx.store.run('UPDATE product_grants SET valid_until = ? WHERE id = ?', past, g.id);
    expect((await ask()).error.code).toBe('PRODUCT_NOT_GRANTED');
    d.od.ctx.store.run('UPDATE api_keys SET expires_at = ? WHERE id = ?', past, k.keyId);
    expect((await ask()).error.code).toBe('API_KEY_INVALID');
    // A key of the right shape with another secret is no key.
    const forged = `${k.key.slice(0, -8)}AAAAAAAA`;
    expect(
      JSON.parse(
        (
          await d.od.productCalls.call({
            key: forged,
            scenario: SCENARIO,
            product: 'p-expiry',
            version: `v${version}`,
            query: { gender: '男' },
            format: 'json',
          })
        ).body,
      ).error.code,
    ).toBe('API_KEY_INVALID');
  });
});

describe('calls whose small cells hide', () => {
  it('withholds a row when any aggregate in it, a FILTER included, rests on too few people', async () => {
    const version = await publish(
      spec({
        product: 'p-filter',
        sql: `SELECT county_code, count(*) AS people, count(*) FILTER (WHERE birth_date < DATE '${cutoff}-01-01') AS old FROM population WHERE gender IN ($gender, '男', '女') GROUP BY county_code`,
        columns: ['county_code', 'people', 'old'],
      }),
    );
    const r = await call('p-filter', version, { gender: '女' });
    expect(r.status, r.body).toBe(200);
    expect(r.json.rows.length).toBeGreaterThan(0);
    expect(r.json.suppressedRows).toBeGreaterThan(0);
    for (const row of r.json.rows) expect(oldByCounty.get(row.county_code) ?? 0).toBeGreaterThanOrEqual(10);
    expect(r.json.rows.length).toBe([...oldByCounty.values()].filter((n) => n >= 10).length);
  });

  it('never returns one person’s own value (a max), whatever the group’s size', async () => {
    const version = await publish(
      spec({
        product: 'p-max',
        sql: "SELECT s.month, max(s.base_amount) AS top FROM social_insurance s WHERE $gender IN ('男', '女') GROUP BY s.month",
        columns: ['month', 'top'],
      }),
    );
    const r = await call('p-max', version, { gender: '男' });
    expect(r.status, r.body).toBe(200);
    expect(r.json.rows).toEqual([]);
    expect(r.json.suppressedRows).toBeGreaterThan(0);
  });

  it('withholds a row whose dominance cannot be decided (negative contributions): no reviewer sees a call', async () => {
    const version = await publish(
      spec({
        product: 'p-negative',
        sql: "SELECT s.month, sum(s.base_amount - 6500) AS net FROM social_insurance s WHERE $gender IN ('男', '女') GROUP BY s.month",
        columns: ['month', 'net'],
      }),
    );
    const r = await call('p-negative', version, { gender: '男' });
    expect(r.status, r.body).toBe(200);
    expect(r.json.rows).toEqual([]);
    expect(r.json.suppressedRows).toBeGreaterThan(0);
  });

  it('withholds the ROLLUP total when a county under it is withheld (it would give the county back)', async () => {
    const version = await publish(
      spec({ product: 'p-rollup', sql: 'SELECT county_code, count(*) AS people FROM population WHERE gender = $gender GROUP BY ROLLUP (county_code)' }),
    );
    const r = await call('p-rollup', version, { gender: '女' });
    expect(r.status, r.body).toBe(200);
    expect(r.json.suppressedRows).toBeGreaterThan(1);
    expect(r.json.rows.some((x: { county_code: unknown }) => x.county_code === null)).toBe(false);
  });

  it('caps the rows of a call', async () => {
    const version = await publish(spec({ product: 'p-cap', controls: { minUnits: 10, roundTo: 1, rowCap: 3 } }));
    const r = await call('p-cap', version, { gender: '男' });
    expect(r.json.rows).toHaveLength(3);
  });
});

describe('the ledger and the cache under pressure', () => {
  it('serves at most one of two nested answers asked at the same moment', async () => {
    const version = await publish(
      spec({
        product: 'p-race',
        sql: 'SELECT county_code, count(*) AS people FROM population WHERE year(birth_date) BETWEEN $from AND $to GROUP BY county_code',
        parameters: {
          properties: {
            from: { type: 'integer', minimum: 1900, maximum: 2030, example: 1950 },
            to: { type: 'integer', minimum: 1900, maximum: 2030, example: 2024 },
          },
        },
      }),
    );
    // A consumer with no earlier answers: only these two can conflict.
    d.od.consumers.add(who.ada!, { id: 'racer', name: 'Racer' });
    const k = d.od.consumers.issueKey(who.ada!, 'racer').key;
    d.od.consumers.grant(who.ada!, { consumer: 'racer', product: 'p-race', version });
    const ask = (from: number) =>
      d.od.productCalls
        .call({ key: k, scenario: SCENARIO, product: 'p-race', version: `v${version}`, query: { from: String(from), to: '2024' }, format: 'json' })
        .then((a) => ({ ...a, json: JSON.parse(a.body) }));
    const answers = await Promise.all([ask(nestedYear), ask(nestedYear + 1)]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 403]);
    expect(answers.find((a) => a.status === 403)!.json.error.code).toBe('PRODUCT_DIFFERENCING');
  });

  it('an earlier answer of another template that groups the same fields in another order is lined up by field, not by position', async () => {
    const born = (product: string, sql: string, columns: string[]) =>
      spec({ product, sql, columns, parameters: { properties: { from: { type: 'integer', minimum: 1900, maximum: 2030, example: 1950 } } } });
    const a = await publish(
      born('p-swap-a', 'SELECT county_code, gender, count(*) AS people FROM population WHERE year(birth_date) >= $from GROUP BY county_code, gender', [
        'county_code',
        'gender',
        'people',
      ]),
    );
    const b = await publish(
      born('p-swap-b', 'SELECT gender, county_code, count(*) AS people FROM population WHERE year(birth_date) >= $from GROUP BY gender, county_code', [
        'gender',
        'county_code',
        'people',
      ]),
    );
    d.od.consumers.add(who.ada!, { id: 'swapper', name: 'Swapper' });
    const k = d.od.consumers.issueKey(who.ada!, 'swapper').key;
    for (const [product, version] of [
      ['p-swap-a', a],
      ['p-swap-b', b],
    ] as const)
      d.od.consumers.grant(who.ada!, { consumer: 'swapper', product, version });
    const ask = (product: string, version: number, from: number) =>
      d.od.productCalls
        .call({ key: k, scenario: SCENARIO, product, version: `v${version}`, query: { from: String(from) }, format: 'json' })
        .then((x) => ({ ...x, json: JSON.parse(x.body) }));
    expect((await ask('p-swap-a', a, swapYear)).status).toBe(200);
    const second = await ask('p-swap-b', b, swapYear + 1);
    expect([second.status, second.json.error.code]).toEqual([403, 'PRODUCT_DIFFERENCING']);
    expect(d.od.productCalls.recent({ consumer: 'swapper', limit: 1 })[0]).toMatchObject({ differencing: { basis: 'a cell holding an earlier cell' } });
    // The same year asked of the other template is the same groups with the same people: served.
    expect((await ask('p-swap-b', b, swapYear)).status).toBe(200);
    // And the comparison itself lines the cells up by field: the same people give no difference
    // (cells that could not be lined up would count as differing by one), the nested pair a few.
    const row = (p: string, v: number) => d.od.products.specOf(d.od.products.row(p, v));
    const input = (from: number) => ({
      dbPath: d.od.ctx.paths.tenantDb('demo', 'prod'),
      limits: { duckdbMemoryMb: 512, duckdbThreads: 1 },
      tenant: 'demo',
      sql: row('p-swap-a', a).sql,
      params: { from },
      thresholds: d.od.ctx.authorizations.effectiveThresholds('demo'),
      controls: row('p-swap-a', a).controls,
      timeoutMs: 10_000,
    });
    const other = (from: number) => ({ sql: row('p-swap-b', b).sql, params: { from }, controls: row('p-swap-b', b).controls });
    const groups = (from: number) => d.od.ctx.productEngine.call(input(from)).then((r) => new Set(r.ledger.map((c) => c.group)));
    const all = await groups(swapYear);
    expect(await d.od.ctx.productEngine.difference(input(swapYear), other(swapYear), all)).toBe(Infinity);
    const nested = await d.od.ctx.productEngine.difference(input(swapYear), other(swapYear + 1), all);
    expect(nested).toBeGreaterThan(0);
    expect(nested).toBeLessThan(10);
    // A flagged group the earlier answer does not publish cannot be cleared.
    expect(await d.od.ctx.productEngine.difference(input(swapYear), other(swapYear), new Set([...all, '[["population.county_code","nowhere"]]']))).toBe(1);
  });

  it('a stricter threshold beats a cached answer', async () => {
    const version = await publish(spec({ product: 'p-thr' }));
    const before = await call('p-thr', version, { gender: '男' });
    try {
      d.od.tenants.setThresholds(who.ada!, 'demo', { minCellCount: 40 });
      const after = await call('p-thr', version, { gender: '男' });
      expect(after.status).toBe(200);
      expect(after.json.rows.length).toBeLessThan(before.json.rows.length);
    } finally {
      d.od.tenants.setThresholds(who.ada!, 'demo', { minCellCount: 10 });
    }
  });

  it('a revoked consumer’s keys stop at once', async () => {
    d.od.consumers.add(who.ada!, { id: 'trudy', name: 'Trudy' });
    const k = d.od.consumers.issueKey(who.ada!, 'trudy').key;
    d.od.consumers.grant(who.ada!, { consumer: 'trudy', product: 'p-thr', version: 1 });
    const ask = () => d.od.productCalls.call({ key: k, scenario: SCENARIO, product: 'p-thr', version: 'v1', query: { gender: '男' }, format: 'json' });
    expect((await ask()).status).toBe(200);
    await refused(() => d.od.consumers.revoke(who.alice!, 'trudy', 'no'), 'FORBIDDEN_ROLE');
    d.od.consumers.revoke(who.sam!, 'trudy', 'leaked its key');
    const r = await ask();
    expect([r.status, JSON.parse(r.body).error.code]).toEqual([401, 'API_KEY_INVALID']);
  });
});

describe('a call the domain cannot account for is not served', () => {
  it('refuses with 503, nothing run, when the quota counters cannot be read, and logs the refusal', async () => {
    const version = await publish(spec({ product: 'p-quota' }));
    const side = new Database(d.od.ctx.paths.controlDb);
    side.exec('ALTER TABLE product_usage RENAME TO product_usage_away');
    const before = d.od.ctx.productEngine.runs;
    try {
      const r = await call('p-quota', version, { gender: '男' });
      expect([r.status, r.json.error.code]).toEqual([503, 'PRODUCT_QUOTA_UNAVAILABLE']);
      expect(d.od.ctx.productEngine.runs).toBe(before);
      expect(d.od.productCalls.recent({ consumer: 'mallory', limit: 1 })[0]).toMatchObject({ status: 503, code: 'PRODUCT_QUOTA_UNAVAILABLE' });
    } finally {
      side.exec('ALTER TABLE product_usage_away RENAME TO product_usage');
      side.close();
    }
    expect((await call('p-quota', version, { gender: '男' })).status).toBe(200);
  });

  it('refuses with 503, nothing served, when the counters cannot be written as the call ends', async () => {
    const version = await publish(spec({ product: 'p-quota-w' }));
    const side = new Database(d.od.ctx.paths.controlDb);
    side.exec("CREATE TRIGGER no_usage BEFORE INSERT ON product_usage BEGIN SELECT RAISE(ABORT, 'disk full'); END");
    const served = () => d.od.ctx.store.get<{ n: number }>('SELECT count(*) AS n FROM product_calls')!.n;
    const before = served();
    try {
      const r = await call('p-quota-w', version, { gender: '男' });
      expect([r.status, r.json.error.code]).toEqual([503, 'PRODUCT_QUOTA_UNAVAILABLE']);
      expect(r.body).not.toMatch(/county_code/);
      expect(served()).toBe(before);
      expect(d.od.productCalls.recent({ consumer: 'mallory', limit: 1 })[0]).toMatchObject({ status: 503, code: 'PRODUCT_QUOTA_UNAVAILABLE' });
    } finally {
      side.exec('DROP TRIGGER no_usage');
      side.close();
    }
    expect((await call('p-quota-w', version, { gender: '男' })).status).toBe(200);
  });

  it('fails the call when its audit entry cannot be written, and leaves no rows counted, no ledger cells, no call record', async () => {
    const version = await publish(spec({ product: 'p-audit' }));
    const count = (sql: string) => d.od.ctx.store.get<{ n: number }>(sql)!.n;
    const ledger = count('SELECT count(*) AS n FROM product_ledger');
    const callsBefore = count('SELECT count(*) AS n FROM product_calls');
    const side = new Database(d.od.ctx.paths.controlDb);
    side.exec("CREATE TRIGGER no_audit BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'log device failed'); END");
    try {
      const r = await call('p-audit', version, { gender: '女' });
      expect([r.status, r.json.error.code]).toEqual([503, 'AUDIT_WRITE_FAILED']);
      expect(r.json.error.message).not.toMatch(/device|sqlite|\//i);
    } finally {
      side.exec('DROP TRIGGER no_audit');
      side.close();
    }
    expect(count('SELECT count(*) AS n FROM product_ledger')).toBe(ledger);
    expect(count('SELECT count(*) AS n FROM product_calls')).toBe(callsBefore);
    const usage = d.od.ctx.store.all<{ row_count: number }>(
      "SELECT u.row_count FROM product_usage u JOIN product_grants g ON g.id = u.grant_id WHERE g.product = 'p-audit' AND u.period LIKE 'd:%'",
    );
    // Nothing of the failed call is kept: no rows counted (the call itself is not counted either, its commit failed).
    expect(usage.reduce((a, u) => a + u.row_count, 0)).toBe(0);
    expect((await d.od.lineage.verify(who.sam!)).ok).toBe(true);
  });
});
