// The inbox: what waits for a person is what the services say they may act on now; what changed
// is what they filed that moved. Driven through the real queue and over HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../gateway/index.ts';
import { demoDomainWithApp, INCOME_SCRIPT } from './helpers.ts';

let d: Awaited<ReturnType<typeof demoDomainWithApp>>;
let who: Record<string, Principal>;

beforeAll(async () => {
  d = await demoDomainWithApp();
  who = Object.fromEntries(await Promise.all(['alice', 'bob', 'carol', 'ada', 'sam'].map(async (n) => [n, await d.od.principal({ as: n })] as const)));
}, 180_000);
afterAll(() => d?.close());

const waiting = (n: string) => d.od.notifications.feed(who[n]!).waiting.map((x) => `${x.kind}:${x.id}`);
const changed = (n: string) => d.od.notifications.feed(who[n]!).changed.map((x) => `${x.kind}:${x.id}:${x.state}`);

describe('what waits for me', () => {
  it('an export request waits for each reviewer until they vote, then for nobody; its requester sees it change', async () => {
    const job = await d.od.jobs.run(who.alice!, { tenant: 'demo', env: 'prod', script: INCOME_SCRIPT });
    const req = await d.od.exports.request(who.alice!, { jobId: job.jobId, output: 'income_by_county' });
    const key = `export:${req.id}`;
    expect(waiting('bob')).toContain(key);
    expect(waiting('carol')).toContain(key);
    expect(waiting('alice')).not.toContain(key); // only withdrawing is open to her now
    expect(waiting('sam')).not.toContain(key);

    await d.od.exports.decide(who.bob!, req.id, 'return', 'name the month in the output');
    expect(waiting('bob')).not.toContain(key);
    expect(waiting('alice')).toContain(key); // returned: hers to revise or resubmit
    expect(changed('alice')).toContain(`${key}:returned`);

    await d.od.exports.resubmit(who.alice!, req.id, {});
    await d.od.exports.decide(who.bob!, req.id, 'approve');
    expect(waiting('bob')).not.toContain(key);
    expect(waiting('carol')).toContain(key);
    await d.od.exports.decide(who.carol!, req.id, 'approve');
    for (const n of ['alice', 'bob', 'carol', 'sam', 'ada']) expect(waiting(n), n).not.toContain(key);
    expect(changed('alice')).toContain(`${key}:released`);
    expect(changed('bob')).toEqual([]);
    // The feed's light summaries say what the full views say, for everyone.
    for (const n of ['alice', 'bob', 'carol', 'sam', 'ada']) {
      const full = new Map(d.od.exports.list(who[n]!).map((r) => [r.id, r.actions]));
      for (const s of d.od.exports.summaries(who[n]!)) expect(s.actions, `${n} ${s.id}`).toEqual(full.get(s.id));
    }
  });

  it("over HTTP: the same feed for the token's person; days is bounded", async () => {
    const get = async (user: string, q = '') => {
      const r = await d.app.inject({ method: 'GET', url: `/api/notifications${q}`, headers: { authorization: `Bearer ${d.setup.tokens[user]}` } });
      return { status: r.statusCode, body: r.json() };
    };
    const alice = await get('alice', '?days=30');
    expect(alice.status).toBe(200);
    expect(alice.body).toMatchObject({ waiting: expect.any(Array), changed: expect.any(Array), since: expect.any(String) });
    expect(alice.body.changed[0]).toMatchObject({ kind: 'export', state: 'released', link: expect.stringMatching(/^#\/request\//) });
    expect((await get('alice', '?days=0')).status).toBe(400);
    expect((await get('alice', '?days=365')).status).toBe(400);
    const none = await d.app.inject({ method: 'GET', url: '/api/notifications' });
    expect(none.json().error.code).toBe('AUTH_REQUIRED');
  });
});

describe('what a script may read', () => {
  it("the schema of an authorization: its granted tables and columns with types and levels; never another's", async () => {
    const get = async (user: string, tenant: string) => {
      const r = await d.app.inject({ method: 'GET', url: `/api/tenants/${tenant}/schema`, headers: { authorization: `Bearer ${d.setup.tokens[user]}` } });
      return { status: r.statusCode, body: r.json() };
    };
    const mine = await get('alice', 'demo');
    expect(mine.status).toBe(200);
    expect(mine.body.tables.map((t: { name: string }) => t.name).sort()).toEqual(['enterprise', 'medical_claims', 'population', 'social_insurance']);
    const pop = mine.body.tables.find((t: { name: string }) => t.name === 'population');
    expect(pop.columns.find((c: { name: string }) => c.name === 'id_card')).toMatchObject({
      type: 'VARCHAR',
      grade: expect.any(String),
      sandboxLevel: expect.any(String),
      exportLevel: expect.any(String),
    });
    expect(JSON.stringify(mine.body)).not.toMatch(/\d{17}[\dX]/); // no value, only names and kinds
    expect((await get('alice', 'other')).body.error.code).toBe('FORBIDDEN_TENANT');
    expect((await get('sam', 'demo')).status).toBe(200);
  });

  it('a DESCRIBE from a script is audited like any query, naming the table it describes', async () => {
    const r = await d.od.jobs.run(who.alice!, { tenant: 'demo', env: 'dev', script: "output('c', await sql('DESCRIBE population'))" });
    expect(r.ok, JSON.stringify(r.error)).toBe(true);
    const queries = d.od.ctx.audit.entries({ subject: r.jobId, kind: 'QUERY' });
    expect(queries).toHaveLength(1);
    expect(queries[0]!.data).toMatchObject({ verdict: 'allowed', tables: ['population'], rowCount: 7 });
  });
});

describe('the documented answers are the answers', () => {
  it('no GET route answers 500 under its documented success schema, whoever calls it', async () => {
    const doc = (await d.app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
      paths: Record<string, Record<string, { parameters?: { in: string; name: string; required?: boolean }[] }>>;
    };
    const failures: string[] = [];
    let called = 0;
    for (const [path, ops] of Object.entries(doc.paths)) {
      const op = ops.get;
      if (!op || path.includes('{') || !path.startsWith('/api/')) continue;
      // A required query parameter gets a harmless value; the route must still answer in its documented shape.
      const query = (op.parameters ?? [])
        .filter((p) => p.in === 'query' && p.required)
        .map((p) => `${p.name}=x`)
        .join('&');
      for (const user of ['alice', 'bob', 'sam', 'ada']) {
        const r = await d.app.inject({
          method: 'GET',
          url: `${path}${query ? `?${query}` : ''}`,
          headers: { authorization: `Bearer ${d.setup.tokens[user]}` },
        });
        called++;
        if (r.statusCode >= 500) failures.push(`${user} GET ${path}: ${r.statusCode} ${r.body.slice(0, 120)}`);
      }
    }
    expect(called).toBeGreaterThan(60);
    expect(failures).toEqual([]);
  });
});
