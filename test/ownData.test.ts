// Operators' own data (R13) end to end on a real domain: nothing loads before approval; a bad
// row or a column declared non-identifying that holds ID numbers refuses the whole file; once
// approved the data joins the public data on tokens inside its own authorization only, at its
// own usage levels, appears in that authorization's catalog, and is destroyed with the domain.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findDataset } from '../datasets/index.ts';
import { buildApp, type Opdomain, type Principal } from '../gateway/index.ts';
import { demoDomain, tempHome } from './helpers.ts';

let d: Awaited<ReturnType<typeof demoDomain>>;
let od: Opdomain;
let alice: Principal, bob: Principal, ada: Principal, olga: Principal;
let ids: string[] = [];
const files = tempHome('opdomain-own-');
const future = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();

const DECLARATION = {
  name: 'customers',
  title: '银行客户 bank customers',
  lawfulBasis: 'consent',
  consentRef: 'CONSENT-2026-001',
  fields: [
    { name: 'customer_id', type: 'VARCHAR', category: 'personal', grade: 'general', role: 'direct_identifier', identifies: 'person', required: true },
    { name: 'segment', type: 'VARCHAR', category: 'personal', grade: 'general', role: 'other' },
    { name: 'spend', type: 'DOUBLE', category: 'personal', grade: 'general', role: 'sensitive_attribute' },
  ],
};

async function rawIds(home: string, n: number): Promise<string[]> {
  const db = await DuckDBInstance.create(join(home, 'raw', 'public.duckdb'), { access_mode: 'READ_ONLY' });
  const con = await db.connect();
  const rows = (await con.runAndReadAll(`SELECT id_card FROM population ORDER BY id_card LIMIT ${n}`)).getRows().map((r) => String(r[0]));
  con.closeSync();
  db.closeSync();
  return rows;
}
function csv(name: string, rows: string[][]): string {
  const path = join(files.dir, name);
  writeFileSync(path, `${['customer_id,segment,spend', ...rows.map((r) => r.join(','))].join('\n')}\n`);
  return path;
}
const run = (p: Principal, script: string, tenant = 'demo', env: 'dev' | 'prod' = 'dev') => od.jobs.run(p, { tenant, env, script });
async function code(f: () => Promise<unknown> | unknown): Promise<string> {
  try {
    await f();
    return 'OK';
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}

beforeAll(async () => {
  d = await demoDomain();
  od = d.od;
  [alice, bob, ada] = await Promise.all(['alice', 'bob', 'ada'].map((as) => od.principal({ as })));
  ids = await rawIds(d.home, 300);
  await od.tenants.create(ada, {
    id: 'second',
    org: 'Second Org',
    scenarios: ['public-statistics'],
    grants: [{ dataset: 'population' }],
    justification: { 'population.*': ['public-statistics'] },
    emergencyPlan: { summary: 'Suspend, seal, notify the authority within one hour.', contact: 'security officer', approvedAt: '2026-01-01' },
    termEnd: future(365),
  } as never);
  od.people.register(ada, { name: 'olga', role: 'operator', tenant: 'second', display: 'Olga', verified: true, agreementUntil: future(30) });
  olga = await od.principal({ as: 'olga' });
}, 180_000);
afterAll(async () => {
  await d.close();
  files.cleanup();
});

describe('import requests', () => {
  let id = '';
  it('declares, refuses bad files whole with row numbers, and loads nothing before approval', async () => {
    const req = od.imports.request(alice, {
      tenant: 'demo',
      declaration: DECLARATION,
      scenario: 'public-statistics',
      justification: 'Which of our customers live in which county, counted.',
    });
    id = req.id;
    expect(req).toMatchObject({ state: 'draft', dataset: 'own_demo_customers', actions: expect.arrayContaining(['upload', 'withdraw']) });
    expect(await code(() => od.imports.vote(bob, id, 'approve'))).toBe('IMPORT_TRANSITION');
    expect(await code(() => od.imports.request(olga, { tenant: 'demo', declaration: DECLARATION, justification: 'not my authorization at all' }))).toBe(
      'FORBIDDEN_TENANT',
    );
    expect(
      await code(() =>
        od.imports.request(alice, {
          tenant: 'demo',
          declaration: { ...DECLARATION, lawfulBasis: 'consent', consentRef: undefined },
          justification: 'consent without its reference',
        }),
      ),
    ).toBe('BAD_REQUEST');

    const rows = ids.map((x, i) => [x, `s${i % 3}`, String(100 + i)]);
    const bad = rows.map((r, i) => (i === 2 ? [r[0]!, r[1]!, 'abc'] : r));
    const refused = await od.imports.upload(alice, id, csv('bad.csv', bad)).catch((e) => e);
    expect(refused.code).toBe('IMPORT_INVALID');
    expect(refused.details.report.problems[0]).toMatchObject({ column: 'spend', issue: 'wrong_type', count: 1, examples: [{ row: 3, value: 'abc' }] });
    expect(od.imports.show(alice, id).state).toBe('draft');

    // A column declared as not identifying that carries resident ID numbers.
    const sneaky = rows.map((r) => [r[0]!, ids[(ids.indexOf(r[0]!) + 1) % ids.length]!, r[2]!]);
    const flagged = await od.imports.upload(alice, id, csv('sneaky.csv', sneaky)).catch((e) => e);
    expect(flagged.code).toBe('IMPORT_SUSPECT_IDENTIFIER');
    expect(flagged.message).toMatch(/segment is declared other, but holds 300 resident ID numbers/);

    const ok = await od.imports.upload(alice, id, csv('good.csv', rows));
    expect(ok.state).toBe('submitted');
    expect(ok.profile!.rows).toBe(300);
    expect(ok.profile!.columns.find((c) => c.column === 'customer_id')!.patterns.residentId).toBe(300);
    // Submitted is not approved: the table is in no tenant file yet.
    const before = await run(alice, "output('n', await sql('SELECT count(*) AS n FROM own_demo_customers'))");
    expect(before.error?.code).toBe('SQL_TABLE_NOT_ALLOWED');
    expect(await code(() => od.imports.vote(alice, id, 'approve'))).toBe('IMPORT_SELF_APPROVAL');
    // Refusals around the request: another authorization, another role, a second declaration, nothing.
    expect(await code(() => od.imports.show(olga, id))).toBe('FORBIDDEN_TENANT');
    expect(await code(() => od.imports.upload(olga, id, csv('x.csv', rows)))).toBe('FORBIDDEN_TENANT');
    expect(await code(() => od.imports.request(bob, { tenant: 'demo', declaration: DECLARATION, justification: 'a reviewer files nothing' }))).toBe(
      'FORBIDDEN_ROLE',
    );
    expect(await code(() => od.imports.request(alice, { tenant: 'demo', declaration: DECLARATION, justification: 'the same name again' }))).toBe(
      'IMPORT_EXISTS',
    );
    expect(await code(() => od.imports.show(alice, 'imp_nope'))).toBe('IMPORT_NOT_FOUND');
    expect(await code(() => od.imports.vote(bob, id, 'reject'))).toBe('BAD_REQUEST');
    expect(
      await code(() =>
        od.imports.request(alice, {
          tenant: 'demo',
          declaration: { ...DECLARATION, name: 'core', fields: [{ ...DECLARATION.fields[0], grade: 'core' }] },
          justification: 'core data',
        }),
      ),
    ).toBe('DATASET_NOT_GRANTABLE');
  });

  it('approved data joins the public data on tokens, at its own levels, in its own authorization only', async () => {
    const done = await od.imports.vote(bob, id, 'approve', 'lawful basis and consent checked');
    expect(done.state, JSON.stringify(done.error)).toBe('loaded');
    expect(done.loaded!.rows).toBe(300);
    const joined = await run(
      alice,
      "output('n', await sql('SELECT count(*) AS n FROM own_demo_customers c JOIN population p ON p.id_card = c.customer_id'))",
      'demo',
      'prod',
    );
    expect(joined.ok, JSON.stringify(joined.error)).toBe(true);
    expect(od.jobs.output(joined.jobId, 'n').rows[0]![0]).toBe(300);
    // Plaintext to its own operator (its own tokens included); the public side keeps its levels.
    const mine = await run(alice, "output('x', await sql('SELECT customer_id, segment, spend FROM own_demo_customers LIMIT 3'))");
    expect(mine.ok, JSON.stringify(mine.error)).toBe(true);
    const theirs = await run(
      alice,
      "output('x', await sql('SELECT c.segment, p.id_card FROM own_demo_customers c JOIN population p ON p.id_card = c.customer_id'))",
    );
    expect(theirs.error?.code).toBe('SQL_USAGE_REFUSED');
    // Another authorization neither sees the table nor shares the tokens.
    expect((await run(olga, "output('n', await sql('SELECT count(*) AS n FROM own_demo_customers'))", 'second')).error?.code).toBe('SQL_TABLE_NOT_ALLOWED');
    expect(od.catalog.list(alice).map((c) => c.id)).toContain('own_demo_customers');
    expect(od.catalog.list(olga).map((c) => c.id)).not.toContain('own_demo_customers');
    const read = async (tenant: string, sql: string) => {
      const db = await DuckDBInstance.create(join(d.home, 'tenants', tenant, 'prod.duckdb'), { access_mode: 'READ_ONLY' });
      const con = await db.connect();
      const out = (await con.runAndReadAll(sql)).getRows().map((r) => String(r[0]));
      con.closeSync();
      db.closeSync();
      return out;
    };
    const own = await read('demo', 'SELECT customer_id FROM own_demo_customers');
    expect(own.some((t) => ids.includes(t))).toBe(false);
    const secondTokens = new Set(await read('second', 'SELECT id_card FROM population'));
    expect(own.filter((t) => secondTokens.has(t))).toEqual([]);
    // The export audience keeps the catalog's levels for own data: its tokens are join keys to it.
    const leak = await run(alice, "output('out', await sql('SELECT customer_id, segment FROM own_demo_customers'))", 'demo', 'prod');
    expect(leak.ok, JSON.stringify(leak.error)).toBe(true);
    const sam = await od.principal({ as: 'sam' });
    const req = await od.exports.request(alice, { jobId: leak.jobId, output: 'out', draft: true });
    const full = await od.exports.get(sam, req.id);
    expect(full.rules.find((r) => r.rule === 'usage_levels')).toMatchObject({
      verdict: 'block',
      reason: expect.stringMatching(/customer_id \(from own_demo_customers\.customer_id, level join_key for export\)/),
    });
    expect(req.rules.some((r) => r.rule === 'usage_levels')).toBe(false);
    expect(req.rules.find((r) => r.rule === 'provenance')!.verdict).toBe('block');
    // In lineage: the load is a dataset version of its own.
    expect(od.ctx.versions.latest('own_demo_customers')?.rows).toBe(300);
  });

  it('destruction removes the own data with the domain', async () => {
    await od.tenants.create(ada, {
      id: 'third',
      org: 'Third Org',
      scenarios: ['public-statistics'],
      grants: [{ dataset: 'population' }],
      justification: { 'population.*': ['public-statistics'] },
      emergencyPlan: { summary: 'Suspend, seal, notify the authority within one hour.', contact: 'security officer', approvedAt: '2026-01-01' },
      termEnd: future(365),
    } as never);
    await od.tenants.build(ada, 'third');
    od.people.register(ada, { name: 'tess', role: 'operator', tenant: 'third', display: 'Tess', verified: true, agreementUntil: future(30) });
    const tess = await od.principal({ as: 'tess' });
    const req = od.imports.request(tess, { declaration: { ...DECLARATION, name: 'leads' }, justification: 'Leads counted by county for planning.' });
    await od.imports.upload(
      tess,
      req.id,
      csv(
        'leads.csv',
        ids.slice(0, 50).map((x) => [x, 'a', '1']),
      ),
    );
    expect((await od.imports.vote(bob, req.id, 'approve')).state).toBe('loaded');
    expect(existsSync(od.ctx.paths.ownRaw('third'))).toBe(true);
    for (const action of ['suspend', 'seal', 'destroy'] as const) od.tenants.transition(ada, 'third', action, 'end of the test');
    expect(existsSync(od.ctx.paths.ownRaw('third'))).toBe(false);
    expect(findDataset('own_third_leads')).toBeUndefined();
  });
});

describe('over HTTP, and levels an authorization tightens', () => {
  it('declares, streams the file, approves; tightening a level refuses what it allowed; loosening is refused', async () => {
    const app = buildApp(od);
    await app.ready();
    const tokens = d.setup.tokens;
    const call = (method: 'GET' | 'POST' | 'PUT', url: string, who: string, payload?: unknown, type?: string) =>
      app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${tokens[who]}`, ...(type ? { 'content-type': type } : {}) },
        ...(payload !== undefined ? { payload: payload as string } : {}),
      });
    try {
      const made = await call('POST', '/api/imports', 'alice', {
        tenant: 'demo',
        declaration: { ...DECLARATION, name: 'branches' },
        justification: 'Customers per branch and county, counted.',
      });
      expect(made.statusCode).toBe(201);
      const body = ['customer_id,segment,spend', ...ids.slice(0, 80).map((x, i) => `${x},b${i % 4},${i}`)].join('\n');
      const up = await call('PUT', `/api/imports/${made.json().id}/file`, 'alice', body, 'text/csv');
      expect(up.json()).toMatchObject({ state: 'submitted', profile: { rows: 80 } });
      const ok = await call('POST', `/api/imports/${made.json().id}/approve`, 'bob', {});
      expect(ok.json().state).toBe('loaded');
      expect((await call('GET', '/api/imports', 'alice')).json().imports.map((x: { dataset: string }) => x.dataset)).toContain('own_demo_branches');

      const q = "output('x', await sql('SELECT gender, count(*) AS n FROM population GROUP BY gender'))";
      expect((await run(alice, q)).ok).toBe(true);
      const tightened = await call('POST', '/api/tenants/demo/usage', 'ada', { usage: { 'population.gender': { sandbox: 'aggregate' } } });
      expect(tightened.statusCode, tightened.body).toBe(200);
      const refused = await run(alice, q);
      expect(refused.error?.code).toBe('SQL_USAGE_REFUSED');
      expect(refused.error?.message).toMatch(/population\.gender, whose usage level is aggregate/);
      const loosened = await call('POST', '/api/tenants/demo/usage', 'ada', { usage: { 'population.id_card': { sandbox: 'plaintext' } } });
      expect(loosened.json().error.code).toBe('USAGE_LOOSENED');
      expect((await call('POST', '/api/tenants/demo/usage', 'alice', { usage: {} })).json().error.code).toBe('FORBIDDEN_ROLE');
      // Back to the catalog's level (still only as loose as the catalog allows).
      await call('POST', '/api/tenants/demo/usage', 'ada', { usage: { 'population.gender': { sandbox: 'plaintext' } } });
      expect((await run(alice, q)).ok).toBe(true);
    } finally {
      await app.close();
    }
  });
});

describe('allowed queries combined', () => {
  it('per-person rows are not rebuilt from group-by answers: every revealed group rests on at least 3 people', async () => {
    const script = `
      const hospitals = await sql('SELECT DISTINCT hospital FROM medical_claims ORDER BY 1 LIMIT 5');
      const rows = [];
      for (const h of hospitals) rows.push(...await sql('SELECT hospital, claim_date, sum(amount) AS s, count(DISTINCT id_card) AS n FROM medical_claims WHERE hospital = $1 GROUP BY 1, 2', [h.hospital]));
      rows.push(...await sql('SELECT hospital, claim_date, sum(amount) AS s, count(DISTINCT id_card) AS n FROM medical_claims GROUP BY 1, 2'));
      output('groups', rows);`;
    const r = await run(alice, script, 'demo', 'prod');
    expect(r.ok, JSON.stringify(r.error)).toBe(true);
    const rows = od.jobs.output(r.jobId, 'groups').rows;
    expect(rows.length).toBeGreaterThan(0);
    expect(Math.min(...rows.map((x) => Number(x[3])))).toBeGreaterThanOrEqual(3);
    // Without the floor the same grouping has groups of one or two people.
    const db = await DuckDBInstance.create(join(d.home, 'tenants', 'demo', 'prod.duckdb'), { access_mode: 'READ_ONLY' });
    const con = await db.connect();
    const small = Number(
      (
        await con.runAndReadAll('SELECT count(*) FROM (SELECT count(DISTINCT id_card) AS n FROM medical_claims GROUP BY hospital, claim_date) WHERE n < 3')
      ).getRows()[0]![0],
    );
    con.closeSync();
    db.closeSync();
    expect(small).toBeGreaterThan(0);
  });
});
