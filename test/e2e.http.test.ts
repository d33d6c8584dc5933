// Steps 1–5 over the HTTP API, in-process (fastify inject: no sockets), with bearer tokens;
// and the refusals every endpoint owes.
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, DEMO_EMERGENCY_PLAN, Opdomain } from '../gateway/index.ts';
import { verifyBundle } from '../exports/index.ts';
import { demoDomain, INCOME_MANIFEST, INCOME_SCRIPT } from './helpers.ts';

type Domain = Awaited<ReturnType<typeof demoDomain>>;
let d: Domain;
let app: FastifyInstance;
let tokens: Record<string, string>;

const call = async (method: 'GET' | 'POST' | 'PUT' | 'PATCH', url: string, who?: string, payload?: unknown) => {
  const res = await app.inject({
    method,
    url,
    ...(who ? { headers: { authorization: `Bearer ${tokens[who] ?? who}` } } : {}),
    ...(payload !== undefined ? { payload: payload as object } : {}),
  });
  return { status: res.statusCode, body: res.headers['content-type']?.toString().includes('json') ? res.json() : res.body, headers: res.headers };
};

beforeAll(async () => {
  d = await demoDomain();
  tokens = d.setup.tokens;
  app = buildApp(d.od);
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  await d?.close();
});

describe('serving', () => {
  it('a second gateway on an address in use says so with a clear code', async () => {
    const { createServer } = await import('node:net');
    const { serve } = await import('../gateway/cli/program.ts');
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    const io = { out: () => undefined, err: () => undefined, exitCode: 0 };
    await expect(serve(d.od, io as never, { port, host: '127.0.0.1' })).rejects.toMatchObject({
      code: 'SERVE_ADDRESS_IN_USE',
      message: expect.stringContaining(String(port)),
    });
    blocker.close();
  });
});

describe('the HTTP API walks the whole flow', () => {
  it('run in dev and prod, request, refuse self-approval, approve, download, verify, trace', async () => {
    const who = await call('GET', '/api/whoami', 'alice');
    expect(who.body).toMatchObject({ user: 'alice', role: 'operator', tenant: 'demo' });

    const dev = await call('POST', '/api/jobs', 'alice', { tenant: 'demo', env: 'dev', script: INCOME_SCRIPT, params: { month: '2024-03' } });
    expect(dev.status).toBe(200);
    expect(dev.body).toMatchObject({ ok: true, env: 'dev' });
    expect(dev.body.logs[0]).toMatch(/counties/);

    const prod = await call('POST', '/api/jobs', 'alice', { tenant: 'demo', env: 'prod', script: INCOME_SCRIPT, manifest: INCOME_MANIFEST });
    // The prod reply: the declared output with a size bucket, nothing else.
    expect(prod.body).toMatchObject({ ok: true, env: 'prod', logs: [], outputs: [{ name: 'income_by_county', size: 'large' }] });
    expect(prod.body.outputs[0].rowCount).toBeUndefined();

    const req = await call('POST', '/api/exports', 'alice', { jobId: prod.body.jobId, output: 'income_by_county', scenario: 'public-statistics' });
    expect(req.status).toBe(201);
    expect(req.body).toMatchObject({ verdict: 'review', state: 'submitted', requiredApprovals: 2 });
    const id = req.body.id;

    const self = await call('POST', `/api/exports/${id}/approve`, 'alice', {});
    expect(self.status).toBe(403);
    expect(self.body.error.code).toBe('EXPORT_SELF_APPROVAL');

    const view = await call('GET', `/api/exports/${id}/output`, 'bob');
    expect(view.body.rows.length).toBe((await call('GET', `/api/jobs/${prod.body.jobId}`, 'sam')).body.outputs[0].rowCount);
    // The operator never sees prod values before release, not even through her own request.
    expect((await call('GET', `/api/exports/${id}/output`, 'alice')).body.error.code).toBe('FORBIDDEN_ROLE');

    const first = await call('POST', `/api/exports/${id}/approve`, 'bob', { comment: 'ok' });
    expect(first.body).toMatchObject({ state: 'in_review' });
    const twice = await call('POST', `/api/exports/${id}/approve`, 'bob', {});
    expect(twice.body.error.code).toBe('EXPORT_ALREADY_VOTED');
    const approve = await call('POST', `/api/exports/${id}/approve`, 'carol', {});
    expect(approve.status).toBe(200);
    expect(approve.body.state).toBe('released');

    const bundle = await call('GET', `/api/exports/${id}/bundle`, 'alice');
    expect(bundle.status).toBe(200);
    expect(bundle.body.manifest).toMatchObject({ requestId: id, scenario: 'public-statistics', approvers: ['bob', 'carol'] });
    expect(bundle.body.files.map((f: { name: string; encoding: string }) => `${f.name}:${f.encoding}`)).toEqual([
      'income_by_county.csv:utf8',
      'income_by_county.parquet:base64',
    ]);
    const jwks = await call('GET', '/.well-known/jwks.json');
    expect(jwks.body.keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA' });
    expect(jwks.body.keys[0].d).toBeUndefined();
    const v = await verifyBundle(approve.body.bundle.path, jwks.body);
    expect(v.problems).toEqual([]);

    const verify = await call('POST', '/api/lineage/verify', 'sam');
    expect(verify.body, JSON.stringify(verify.body)).toMatchObject({ ok: true });
    const trace = await call('GET', `/api/lineage/trace/${id}?format=text`, 'sam');
    expect(trace.body).toContain('dataset:population@1');
    expect(trace.body).toContain(`job:${prod.body.jobId}`);
    const down = await call('GET', `/api/lineage/trace/population@1?direction=down`, 'sam');
    expect(JSON.stringify(down.body)).toContain(`export:${id}`);

    // An auditor takes one entry with its proof and checks it with the public key only.
    const seq = d.od.ctx.audit.entries({ subject: id, kind: 'BUNDLE_CREATED' })[0]!.seq;
    const proof = await call('GET', `/api/audit/entries/${seq}`, 'sam');
    expect(proof.status).toBe(200);
    const { verifyEntryProof } = await import('../lineage/index.ts');
    expect(await verifyEntryProof(proof.body, jwks.body)).toEqual({ ok: true, problems: [] });
    expect((await call('GET', `/api/audit/entries/${seq}`, 'alice')).body.error.code).toBe('FORBIDDEN_ROLE');
    const cons = await call('GET', `/api/lineage/consistency?from=3&to=${seq}`, 'sam');
    expect(cons.body.proof.length).toBeGreaterThan(0);

    // Every step was audited.
    const kinds = new Set(d.od.ctx.audit.entries().map((e) => e.kind));
    expect(trace.body).toContain('column:');
    for (const k of [
      'SIGN_IN',
      'DATASET_LOADED',
      'TENANT_BUILT',
      'JOB_STARTED',
      'QUERY',
      'OUTPUT_CREATED',
      'JOB_FINISHED',
      'EXPORT_REQUESTED',
      'EXPORT_VOTE',
      'BUNDLE_CREATED',
      'BUNDLE_DOWNLOADED',
      'LOG_VERIFIED',
    ]) {
      expect(kinds, k).toContain(k);
    }
  });
});

describe('refusals over HTTP', () => {
  it('identity: no token, a malformed one, a forged one, alg none', async () => {
    expect((await call('GET', '/api/whoami')).body.error.code).toBe('AUTH_REQUIRED');
    expect((await call('GET', '/api/whoami', 'not-a-jwt')).body.error.code).toBe('AUTH_INVALID_TOKEN');
    const [h, p] = tokens.alice!.split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p!, 'base64url').toString()), role: 'admin' })).toString('base64url')}.${tokens.alice!.split('.')[2]}`;
    expect((await call('GET', '/api/whoami', forged)).status).toBe(401);
    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${p}.`;
    expect((await call('GET', '/api/whoami', none)).body.error.code).toBe('AUTH_INVALID_TOKEN');
    expect(d.od.ctx.audit.entries({ kind: 'AUTH_REFUSED' }).length).toBeGreaterThanOrEqual(4);
  });

  it('roles and tenant scope', async () => {
    expect((await call('POST', '/api/jobs', 'bob', { tenant: 'demo', script: 'output("x", [])' })).body.error.code).toBe('FORBIDDEN_ROLE');
    expect((await call('POST', '/api/lineage/verify', 'alice')).body.error.code).toBe('FORBIDDEN_ROLE');
    expect((await call('POST', '/api/jobs', 'alice', { tenant: 'other', script: 'output("x", [])' })).body.error.code).toBe('FORBIDDEN_TENANT');
    for (const action of ['suspend', 'resume', 'terminate', 'seal', 'destroy', 'build']) {
      expect((await call('POST', `/api/tenants/demo/${action}`, 'bob')).body.error.code, action).toBe('FORBIDDEN_ROLE');
      expect((await call('POST', `/api/tenants/demo/${action}`, 'alice')).body.error.code, action).toBe('FORBIDDEN_ROLE');
    }
    expect((await call('GET', '/api/lineage/checkpoint', 'alice')).body.error.code).toBe('FORBIDDEN_ROLE');
    expect(d.od.ctx.audit.entries({ kind: 'ACCESS_DENIED' }).length).toBeGreaterThanOrEqual(4);
  });

  it('bad input is refused with BAD_REQUEST and nothing is written', async () => {
    const before = d.od.ctx.audit.size();
    expect((await call('POST', '/api/jobs', 'alice', { tenant: 'demo' })).body.error.code).toBe('BAD_REQUEST');
    expect((await call('POST', '/api/jobs', 'alice', { tenant: 'demo', script: 'x', env: 'staging' })).body.error.code).toBe('BAD_REQUEST');
    expect((await call('POST', '/api/jobs', 'alice', { tenant: 'demo', script: 'x', extra: 1 })).body.error.code).toBe('BAD_REQUEST');
    const raw = await app.inject({
      method: 'POST',
      url: '/api/jobs',
      headers: { authorization: `Bearer ${tokens.alice}`, 'content-type': 'application/json' },
      payload: '{"tenant":',
    });
    expect(raw.json().error.code).toBe('BAD_REQUEST');
    expect(d.od.ctx.audit.size()).toBe(before);
    expect((await call('GET', '/api/nothing-here', 'alice')).body.error.code).toBe('NOT_FOUND');
  });

  it('exports: from dev, unknown scenario, blocked identifiers, unknown request', async () => {
    const dev = await call('POST', '/api/jobs', 'alice', { tenant: 'demo', env: 'dev', script: INCOME_SCRIPT });
    expect((await call('POST', '/api/exports', 'alice', { jobId: dev.body.jobId, output: 'income_by_county' })).body.error.code).toBe('EXPORT_FROM_DEV');
    const prod = await call('POST', '/api/jobs', 'alice', {
      tenant: 'demo',
      env: 'prod',
      script: "output('people', await sql('SELECT birth_date, count(*) AS n FROM population GROUP BY 1'))",
    });
    expect((await call('POST', '/api/exports', 'alice', { jobId: prod.body.jobId, output: 'people', scenario: 'marketing' })).body.error.code).toBe(
      'EXPORT_SCENARIO_NOT_GRANTED',
    );
    const blocked = await call('POST', '/api/exports', 'alice', { jobId: prod.body.jobId, output: 'people' });
    expect(blocked.body).toMatchObject({ state: 'blocked', verdict: 'block' });
    expect((await call('POST', `/api/exports/${blocked.body.id}/approve`, 'bob', {})).body.error.code).toBe('EXPORT_TRANSITION');
    // Nothing to download from a blocked request; reviewers never download bundles.
    expect((await call('GET', `/api/exports/${blocked.body.id}/bundle`, 'alice')).body.error.code).toBe('EXPORT_TRANSITION');
    expect((await call('GET', `/api/exports/${blocked.body.id}/bundle`, 'bob')).body.error.code).toBe('FORBIDDEN_ROLE');
    expect((await call('GET', '/api/exports/exp_nope', 'bob')).body.error.code).toBe('EXPORT_NOT_FOUND');
  });

  it("record-level outputs are judged by k-anonymity over the catalog's quasi-identifiers", async () => {
    const fine = await call('POST', '/api/jobs', 'alice', {
      tenant: 'demo',
      env: 'prod',
      script: "output('people', await sql('SELECT gender AS g, birth_date AS born, county_code FROM population'))",
    });
    const r = await call('POST', '/api/exports', 'alice', { jobId: fine.body.jobId, output: 'people' });
    const rule = r.body.rules.find((x: { rule: string }) => x.rule === 'k_anonymity');
    expect(rule).toMatchObject({ verdict: 'block' });
    const full = await call('GET', `/api/exports/${r.body.id}`, 'sam');
    // found through provenance despite the renames (the operator's own view names the rule only)
    expect(full.body.rules.find((x: { rule: string }) => x.rule === 'k_anonymity').reason).toMatch(/-anonymous over g, born, county_code/);
    expect(r.body.state).toBe('blocked');
    const coarse = await call('POST', '/api/jobs', 'alice', {
      tenant: 'demo',
      env: 'prod',
      script: "output('sexes', await sql('SELECT gender FROM population'))",
    });
    const ok = await call('POST', '/api/exports', 'alice', { jobId: coarse.body.jobId, output: 'sexes' });
    expect(ok.body.rules.find((x: { rule: string }) => x.rule === 'k_anonymity')).toMatchObject({ verdict: 'pass' });
  });

  it('every API route refuses a call without a token or with a bad one, before reading its body', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, Record<string, unknown>> };
    let routes = 0;
    for (const [path, methods] of Object.entries(doc.paths)) {
      if (!path.startsWith('/api/')) continue;
      for (const method of Object.keys(methods)) {
        const url = path.replace(/\{[^}]+\}/g, 'x1');
        const payload = method === 'get' ? undefined : { junk: true };
        for (const [authorization, code] of [
          [undefined, 'AUTH_REQUIRED'],
          ['Bearer not.a.jwt', 'AUTH_INVALID_TOKEN'],
          ['Basic YWRhOmFkYQ==', 'AUTH_REQUIRED'],
        ] as const) {
          const r = await app.inject({
            method: method.toUpperCase() as 'GET',
            url,
            ...(payload ? { payload } : {}),
            headers: authorization ? { authorization } : {},
          });
          expect(r.statusCode, `${method} ${path}`).toBe(401);
          expect(r.json().error.code, `${method} ${path}`).toBe(code);
        }
        routes++;
      }
    }
    expect(routes).toBeGreaterThan(40);
  });

  it('administrator routes refuse operators, reviewers and security staff', async () => {
    const admin: ['POST' | 'PUT' | 'PATCH', string, unknown][] = [
      [
        'POST',
        '/api/tenants',
        {
          id: 'gamma',
          org: 'G',
          scenarios: ['s1'],
          grants: [{ dataset: 'population' }],
          termEnd: new Date(Date.now() + 86_400_000).toISOString(),
          justification: { 'population.*': ['s1'] },
        },
      ],
      ['POST', '/api/tenants/demo/suspend', {}],
      ['POST', '/api/tenants/demo/build', {}],
      ['PUT', '/api/tenants/demo/emergency-plan', DEMO_EMERGENCY_PLAN],
      ['PUT', '/api/tenants/demo/thresholds', { minCellCount: 20 }],
      ['PUT', '/api/thresholds/floor', { minCellCount: 20 }],
      ['POST', '/api/people', { name: 'zed', role: 'reviewer', display: 'Zed' }],
      ['PATCH', '/api/people/alice', { verified: false }],
      ['POST', '/api/lineage/purge', { before: '2000-01-01' }],
      ['POST', '/api/datasets/generate', { scale: 1000 }],
    ];
    for (const who of ['alice', 'bob', 'sam']) {
      for (const [method, url, body] of admin) {
        const r = await call(method, url, who, body);
        expect(r.body.error?.code, `${who} ${method} ${url}`).toBe('FORBIDDEN_ROLE');
      }
    }
    expect((await call('GET', '/api/tenants/gamma', 'ada')).body.error.code).toBe('TENANT_NOT_FOUND');
    expect((await call('GET', '/api/people/alice', 'ada')).body).toMatchObject({ verified: true, mayAct: true });
    expect((await call('GET', '/api/supervision', 'alice')).body.error.code).toBe('FORBIDDEN_ROLE');
    expect((await call('GET', '/api/supervision', 'sam')).body.domains[0]).toMatchObject({ id: 'demo', state: 'active' });
  });

  it('an administrator creates an authorization over HTTP; it needs a plan before it is built', async () => {
    const spec = {
      id: 'delta',
      org: 'Delta Co.',
      scenarios: ['s1'],
      grants: [{ dataset: 'enterprise' }],
      termEnd: new Date(Date.now() + 30 * 86_400_000).toISOString(),
      justification: { 'enterprise.*': ['s1'] },
    };
    const r = await app.inject({ method: 'POST', url: '/api/tenants?provision=false', headers: { authorization: `Bearer ${tokens.ada}` }, payload: spec });
    expect(r.statusCode).toBe(201);
    expect(r.json()).toMatchObject({ id: 'delta', state: 'pending', emergencyPlan: null });
    expect((await call('POST', '/api/tenants/delta/build', 'ada', {})).body.error.code).toBe('TENANT_NO_EMERGENCY_PLAN');
    expect((await call('PUT', '/api/tenants/delta/emergency-plan', 'ada', DEMO_EMERGENCY_PLAN)).body.emergencyPlan.contact).toBe(DEMO_EMERGENCY_PLAN.contact);
    expect((await call('POST', '/api/tenants/delta/build', 'ada', {})).body.state).toBe('active');
    expect((await call('POST', '/api/tenants', 'ada', { ...spec, id: 'eps', justification: {} })).body.error.code).toBe('TENANT_FIELD_UNJUSTIFIED');
  });

  it("serves only the console's own files under /console/", async () => {
    expect((await app.inject({ method: 'GET', url: '/console/app.js' })).statusCode).toBe(200);
    for (const url of [
      '/console/../package.json',
      '/console/%2e%2e/package.json',
      '/console/..%2fgateway/http/app.ts',
      '/console/lib/../../http/app.ts',
      '/console/',
      '/console/nope.js',
    ]) {
      const r = await app.inject({ method: 'GET', url });
      expect(r.statusCode, url).toBe(404);
      expect(r.body, url).not.toContain('"name": "opdomain"');
    }
  });

  it('documents a response schema for the main resources and one error body for every route', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
      paths: Record<string, Record<string, { responses: Record<string, { content?: { 'application/json'?: { schema?: { required?: string[] } } } }> }>>;
    };
    const required = (path: string, method: string, status: string) =>
      doc.paths[path]![method]!.responses[status]?.content?.['application/json']?.schema?.required ?? [];
    expect(required('/api/exports/{id}', 'get', '200')).toEqual(expect.arrayContaining(['id', 'state', 'verdict', 'rules']));
    expect(required('/api/exports', 'post', '201')).toEqual(expect.arrayContaining(['id', 'state']));
    expect(required('/api/people', 'get', '200')).toEqual(['people']);
    for (const [path, methods] of Object.entries(doc.paths)) {
      if (!path.startsWith('/api/')) continue;
      for (const m of Object.keys(methods)) expect(required(path, m, '4XX'), `${m} ${path}`).toEqual(['error']);
    }
  });

  it('serves browsable API docs from the package', async () => {
    const r = await app.inject({ method: 'GET', url: '/docs/' });
    expect([200, 302]).toContain(r.statusCode);
    const page = r.statusCode === 302 ? await app.inject({ method: 'GET', url: r.headers.location as string }) : r;
    expect(page.body).toMatch(/swagger/i);
  });

  it('publishes an OpenAPI 3 document of the API', async () => {
    const r = await call('GET', '/openapi.json');
    expect(r.status).toBe(200);
    expect(r.body.openapi).toMatch(/^3\./);
    for (const path of ['/api/jobs', '/api/exports', '/api/exports/{id}/approve', '/api/lineage/verify', '/api/datasets'])
      expect(Object.keys(r.body.paths)).toContain(path);
  });

  it('limits the request rate per token with RATE_LIMITED', async () => {
    const limited = buildApp(d.od, { rateLimitPerMinute: 3 });
    const codes: number[] = [];
    for (let i = 0; i < 5; i++)
      codes.push((await limited.inject({ method: 'GET', url: '/api/whoami', headers: { authorization: `Bearer ${tokens.bob}` } })).statusCode);
    const last = await limited.inject({ method: 'GET', url: '/api/whoami', headers: { authorization: `Bearer ${tokens.bob}` } });
    await limited.close();
    expect(codes.slice(0, 3)).toEqual([200, 200, 200]);
    expect(last.statusCode).toBe(429);
    expect(last.json().error.code).toBe('RATE_LIMITED');
  });

  it("does not count the console's own files against an address's rate, while its API calls still are", async () => {
    const limited = buildApp(d.od, { rateLimitPerMinute: 3 });
    const files = ['/', '/console/app.js', '/console/style.css', '/console/lib/i18n.js', '/console/lib/api.js', '/console/pages/operator.js'];
    const codes = [];
    for (let round = 0; round < 3; round++) for (const url of files) codes.push((await limited.inject({ method: 'GET', url })).statusCode);
    const api = [];
    for (let i = 0; i < 5; i++) api.push((await limited.inject({ method: 'GET', url: '/auth/config' })).statusCode);
    await limited.close();
    expect(codes.every((c) => c === 200)).toBe(true);
    expect(api.slice(0, 3)).toEqual([200, 200, 200]);
    expect(api.at(-1)).toBe(429);
  });

  it("two gateways on one home count a token's requests together, and keep no token on disk", async () => {
    const other = await Opdomain.open({ home: d.od.ctx.paths.root, ...(d.databaseUrl ? { databaseUrl: d.databaseUrl } : {}) });
    const a = buildApp(d.od, { rateLimitPerMinute: 4 });
    const b = buildApp(other, { rateLimitPerMinute: 4 });
    try {
      const get = (g: FastifyInstance) => g.inject({ method: 'GET', url: '/api/whoami', headers: { authorization: `Bearer ${tokens.carol}` } });
      const codes = [];
      for (const g of [a, b, a, b, b]) codes.push((await get(g)).statusCode);
      expect(codes).toEqual([200, 200, 200, 200, 429]);
      expect((await get(a)).statusCode).toBe(429);
      const keys = d.od.ctx.store.all<{ key: string }>('SELECT key FROM rate_windows').map((r) => r.key);
      expect(keys.length).toBeGreaterThan(0);
      expect(keys.some((k) => tokens.carol!.includes(k) || k.includes(tokens.carol!.slice(-16)))).toBe(false);
    } finally {
      await a.close();
      await b.close();
      await other.close();
    }
  });

  it('sends security headers', async () => {
    const r = await call('GET', '/');
    expect(r.status).toBe(200);
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['content-security-policy']).toContain("default-src 'self'");
  });
});

describe('jobs can be listed, inspected and cancelled', () => {
  it('a job waiting forever is cancelled through the API and ends as JOB_CANCELLED', async () => {
    const running = call('POST', '/api/jobs', 'alice', { tenant: 'demo', env: 'dev', script: 'await new Promise(() => {})' });
    let jobId: string | undefined;
    for (let i = 0; i < 100 && !jobId; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const list = await call('GET', '/api/jobs', 'alice');
      jobId = list.body.jobs.find((j: { state: string }) => j.state === 'running')?.id;
    }
    expect(jobId).toBeDefined();
    expect((await call('POST', `/api/jobs/${jobId}/cancel`, 'bob')).body.error.code).toBe('FORBIDDEN_ROLE');
    expect((await call('POST', `/api/jobs/${jobId}/cancel`, 'alice')).status).toBe(200);
    const result = await running;
    expect(result.body).toMatchObject({ ok: false, jobId, error: { code: 'JOB_CANCELLED' } });
    expect((await call('GET', `/api/jobs/${jobId}`, 'alice')).body).toMatchObject({ state: 'failed', errorCode: 'JOB_CANCELLED' });
    expect((await call('POST', `/api/jobs/${jobId}/cancel`, 'alice')).body.error.code).toBe('JOB_NOT_RUNNING');
    const kinds = d.od.ctx.audit.entries({ subject: jobId! }).map((e) => e.kind);
    expect(kinds).toEqual(expect.arrayContaining(['JOB_STARTED', 'JOB_CANCEL_REQUESTED', 'JOB_FINISHED']));
  });
});

describe("tenant isolation: another authorization's operator gets nothing but refusals", () => {
  it("naming demo's jobs, requests and bundles from tenant beta", async () => {
    const a = d.od.ctx.authorizations;
    a.create(
      {
        id: 'beta',
        org: 'Beta Co.',
        scenarios: ['stats'],
        grants: [{ dataset: 'population' }],
        termEnd: new Date(Date.now() + 200 * 86_400_000).toISOString(),
        justification: { 'population.*': ['stats'] },
        emergencyPlan: DEMO_EMERGENCY_PLAN,
      },
      'ada',
    );
    await a.provision('beta', 'ada');
    const until = new Date(Date.now() + 86_400_000).toISOString();
    d.od.ctx.people.register({ name: 'eve', role: 'operator', tenant: 'beta', display: 'Eve', verified: true, agreementUntil: until }, 'ada');
    tokens.eve = await d.od.ctx.identity.issueDevToken('eve');

    const job = await call('POST', '/api/jobs', 'alice', { tenant: 'demo', env: 'prod', script: INCOME_SCRIPT });
    const req = await call('POST', '/api/exports', 'alice', { jobId: job.body.jobId, output: 'income_by_county' });
    await call('POST', `/api/exports/${req.body.id}/approve`, 'bob', {});
    await call('POST', `/api/exports/${req.body.id}/approve`, 'carol', {});

    const refusals: [string, 'GET' | 'POST' | 'PUT' | 'PATCH', string, unknown?][] = [
      ['EXPORT_NOT_FOUND', 'POST', `/api/exports/${req.body.id}/revise`, {}],
      ['EXPORT_NOT_FOUND', 'POST', `/api/exports/${req.body.id}/resubmit`, {}],
      ['EXPORT_NOT_FOUND', 'POST', `/api/exports/${req.body.id}/submit`],
      ['EXPORT_NOT_FOUND', 'POST', `/api/exports/${req.body.id}/withdraw`],
      ['FORBIDDEN_ROLE', 'POST', `/api/exports/${req.body.id}/revoke`, { reason: 'x' }],
      ['FORBIDDEN_TENANT', 'GET', '/api/tenants/demo'],
      ['USER_NOT_FOUND', 'GET', '/api/people/alice'],
      ['FORBIDDEN_ROLE', 'PUT', '/api/tenants/demo/emergency-plan', {}],
      ['FORBIDDEN_ROLE', 'GET', '/api/supervision'],
      ['FORBIDDEN_ROLE', 'GET', '/api/thresholds/floor'],
      ['JOB_NOT_FOUND', 'GET', `/api/jobs/${job.body.jobId}`],
      ['JOB_NOT_FOUND', 'POST', `/api/jobs/${job.body.jobId}/cancel`],
      ['JOB_NOT_FOUND', 'POST', '/api/exports', { jobId: job.body.jobId, output: 'income_by_county' }],
      ['EXPORT_NOT_FOUND', 'GET', `/api/exports/${req.body.id}`],
      ['EXPORT_NOT_FOUND', 'GET', `/api/exports/${req.body.id}/bundle`],
      ['EXPORT_NOT_FOUND', 'GET', `/api/exports/${req.body.id}/output`],
      ['FORBIDDEN_ROLE', 'POST', `/api/exports/${req.body.id}/approve`, {}],
      ['FORBIDDEN_TENANT', 'POST', '/api/jobs', { tenant: 'demo', script: "output('x', [])" }],
      ['FORBIDDEN_ROLE', 'POST', '/api/lineage/verify'],
      ['FORBIDDEN_ROLE', 'GET', `/api/lineage/trace/${req.body.id}`],
      ['FORBIDDEN_ROLE', 'POST', `/api/lineage/replay/${job.body.jobId}`],
      ['FORBIDDEN_ROLE', 'GET', '/api/audit'],
      ['FORBIDDEN_ROLE', 'POST', '/api/tenants/demo/suspend'],
      ['FORBIDDEN_ROLE', 'POST', '/api/datasets/population/import'],
    ];
    for (const [code, method, url, body] of refusals) {
      const r = await call(method, url, 'eve', body);
      expect(r.body.error?.code, `${method} ${url}`).toBe(code);
    }
    expect((await call('GET', '/api/jobs', 'eve')).body.jobs).toEqual([]);
    expect((await call('GET', '/api/exports', 'eve')).body.requests).toEqual([]);
    expect((await call('GET', '/api/tenants', 'eve')).body.tenants.map((t: { id: string }) => t.id)).toEqual(['beta']);
    expect((await call('GET', '/api/people', 'eve')).body.people.map((p: { name: string }) => p.name)).toEqual(['eve']);

    // Tokens are join keys only: no script reads them row by row, in either authorization.
    const mine = await call('POST', '/api/jobs', 'eve', { tenant: 'beta', env: 'dev', script: "output('ids', await sql('SELECT id_card FROM population'))" });
    expect(mine.body.error.code).toBe('SQL_USAGE_REFUSED');
    // And they are keyed per tenant: beta's pseudonyms never equal demo's (read from the files).
    const tokensOf = async (tenant: string) => {
      const db = await DuckDBInstance.create(join(d.home, 'tenants', tenant, 'dev.duckdb'), { access_mode: 'READ_ONLY' });
      const con = await db.connect();
      const rows = (await con.runAndReadAll('SELECT id_card FROM population')).getRows().map((r) => String(r[0]));
      con.closeSync();
      db.closeSync();
      return rows;
    };
    const a1 = new Set(await tokensOf('beta'));
    const b1 = await tokensOf('demo');
    expect(a1.size).toBeGreaterThan(0);
    expect(b1.filter((x) => a1.has(x))).toEqual([]);
  });
});
