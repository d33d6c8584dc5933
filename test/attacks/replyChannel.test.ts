// Invisible in prod (R23), tried as a hostile operator would: output names, column names, row
// counts, error codes, timings and the number of outputs all chosen by the data. What comes back
// to the operator — over the core, HTTP, and the job records the console reads — must carry no
// more than the documented bits: the declared outputs' size buckets, one of three failure codes,
// a bucketed end time. Security staff still see the whole record.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Opdomain, Principal } from '../../gateway/index.ts';
import { resolveLimits } from '../../sandbox/index.ts';
import { demoDomainWithApp } from '../helpers.ts';

let d: Awaited<ReturnType<typeof demoDomainWithApp>>;
let od: Opdomain;
let app: FastifyInstance;
let alice: Principal, sam: Principal;

beforeAll(async () => {
  d = await demoDomainWithApp();
  ({ od, app } = d);
  od.jobs.prodReplyBucketMs = 200;
  [alice, sam] = await Promise.all(['alice', 'sam'].map((as) => od.principal({ as })));
}, 180_000);
afterAll(() => d?.close());

const SECRET = 'const [{ b }] = await sql("SELECT round(avg(base_amount)) AS b FROM social_insurance WHERE month = \'2024-06\'");';
const declare = (name: string, columns: [string, string][]) => ({ outputs: [{ name, columns: columns.map(([n, type]) => ({ name: n, type })) }] });
const FAILURES = new Set(['JOB_FAILED_LIMIT', 'JOB_FAILED_SCRIPT', 'JOB_FAILED_QUERY']);

describe('the prod reply carries a few bits', () => {
  it('output names chosen by the data never come back, with or without a manifest', async () => {
    const script = `${SECRET} output('v' + String(b), [{ a: 1 }]);`;
    const free = await od.jobs.run(alice, { tenant: 'demo', env: 'prod', script });
    expect(free).toMatchObject({ ok: true, outputs: [], logs: [] });
    expect(JSON.stringify(free)).not.toMatch(/v\d/);
    expect(od.jobs.job(alice, free.jobId).outputs).toEqual([]);
    // Security staff see the real output.
    expect(od.jobs.job(sam, free.jobId).outputs[0]!.name).toMatch(/^v\d+$/);
    const declared = await od.jobs.run(alice, { tenant: 'demo', env: 'prod', script, manifest: declare('out', [['a', 'BIGINT']]) });
    expect(declared).toMatchObject({ ok: false, outputs: [], error: { code: 'JOB_FAILED_SCRIPT' } });
    expect(od.jobs.job(sam, declared.jobId).errorCode).toBe('SANDBOX_OUTPUT_UNDECLARED');
    expect(od.jobs.job(alice, declared.jobId).errorCode).toBe('JOB_FAILED_SCRIPT');
  });

  it('column names chosen by the data fail the job with the same code as any script error', async () => {
    const byData = await od.jobs.run(alice, {
      tenant: 'demo',
      env: 'prod',
      script: `${SECRET} output('out', [{ ['c' + b]: 1 }]);`,
      manifest: declare('out', [['a', 'BIGINT']]),
    });
    const thrown = await od.jobs.run(alice, { tenant: 'demo', env: 'prod', script: "throw new Error('x')", manifest: declare('out', [['a', 'BIGINT']]) });
    expect(byData.error).toEqual(thrown.error);
    expect(byData.error!.code).toBe('JOB_FAILED_SCRIPT');
  });

  it('row counts become a size bucket of the declared outputs, which are all reported, written or not', async () => {
    const manifest = {
      outputs: [
        { name: 'few', columns: [{ name: 'a', type: 'BIGINT' }] },
        { name: 'many', columns: [{ name: 'a', type: 'BIGINT' }] },
        { name: 'none', columns: [{ name: 'a', type: 'BIGINT' }] },
      ],
    };
    const r = await od.jobs.run(alice, {
      tenant: 'demo',
      env: 'prod',
      script: "output('few', [{ a: 1 }, { a: 2 }, { a: 3 }]); output('many', Array.from({ length: 300 }, (_, a) => ({ a })));",
      manifest,
    });
    expect(r.outputs.map((o) => [o.name, o.size, o.rowCount])).toEqual([
      ['few', 'small', undefined],
      ['many', 'large', undefined],
      ['none', 'empty', undefined],
    ]);
    expect(r.stats).toBeUndefined();
    const rec = od.jobs.job(alice, r.jobId);
    expect(rec.outputs.map((o) => [o.name, o.size, o.rowCount])).toEqual([
      ['few', 'small', undefined],
      ['many', 'large', undefined],
      ['none', 'empty', undefined],
    ]);
    expect(od.jobs.job(sam, r.jobId).outputs.map((o) => o.rowCount)).toEqual([3, 300]);
  });

  it('error codes a branch on the data picks collapse into three classes, with fixed messages', async () => {
    const scripts = [
      "await sql('SELECT * FROM no_such_table'); throw new Error('q')",
      "const r = await sql('SELECT read_csv(1)'); if (!r) throw new Error('q');",
      'while (true) {}',
      "let s = 0; for (let i = 0; i < 300; i++) await sql('SELECT 1'); ",
      'JSON.parse("{")',
    ];
    for (const script of scripts) {
      const r = await od.jobs.run(alice, { tenant: 'demo', env: 'prod', script });
      expect(r.ok).toBe(false);
      expect(FAILURES.has(r.error!.code), `${script}: ${r.error!.code}`).toBe(true);
      expect(r.error!.message).not.toMatch(/no_such_table|read_csv|JSON|position/);
      expect(od.jobs.job(alice, r.jobId).errorCode).toBe(r.error!.code);
      // The record keeps the true message, for the authority; its operator reads the fixed title.
      const seen = od.jobs.job(alice, r.jobId);
      expect(seen.errorMessage).toBe(r.error!.message);
      expect(seen.errorMessage).not.toMatch(/no_such_table|read_csv|JSON|position|job\.js/);
      expect(od.jobs.job(sam, r.jobId).errorMessage).toEqual(expect.any(String));
    }
  }, 120_000);

  it('in dev the record keeps the whole message, with the line and column in the script', async () => {
    const r = await od.jobs.run(alice, { tenant: 'demo', env: 'dev', script: 'const x = 1;\nnull.foo;' });
    expect(r.error).toMatchObject({ code: 'SANDBOX_SCRIPT_ERROR', message: expect.stringMatching(/null.*\[job\.js:2:6\]$/) });
    expect(od.jobs.job(alice, r.jobId).errorMessage).toBe(r.error!.message);
    const syntax = await od.jobs.run(alice, { tenant: 'demo', env: 'dev', script: 'const x = 1;\nconst y = ;' });
    expect(od.jobs.job(alice, syntax.jobId)).toMatchObject({ errorCode: 'SANDBOX_SYNTAX_ERROR', errorMessage: expect.stringMatching(/\[job\.js:2:11\]/) });
  });

  it('timings: no stats, and the end time an operator sees is bucketed', async () => {
    const r = await od.jobs.run(alice, {
      tenant: 'demo',
      env: 'prod',
      script: `${SECRET} const until = Date.now() + (b % 7) * 10; while (Date.now() < until) {} output('out', [{ a: 1 }]);`,
      manifest: declare('out', [['a', 'BIGINT']]),
    });
    expect(r.stats).toBeUndefined();
    const rec = od.jobs.job(alice, r.jobId);
    const ms = new Date(rec.finishedAt!).getTime() - new Date(rec.createdAt).getTime();
    expect(ms % 200).toBe(0);
  });

  it('polling the job record while the reply is held tells nothing more: it is running until the bucket closes', async () => {
    od.jobs.prodReplyBucketMs = 3000;
    const seen = new Set(od.jobs.list(sam, 'demo').map((j) => j.id));
    try {
      const pending = od.jobs.run(alice, { tenant: 'demo', env: 'prod', script: "output('out', [{ a: 1 }])", manifest: declare('out', [['a', 'BIGINT']]) });
      // The job itself is quick; its record must not say so before the reply does.
      let done: { id: string; createdAt: string; finishedAt: string | null } | undefined;
      for (let i = 0; i < 200 && !done; i++) {
        await new Promise((r) => setTimeout(r, 50));
        done = od.jobs
          .list(sam, 'demo')
          .find(
            (j) =>
              j.env === 'prod' && j.state === 'completed' && Date.now() - new Date(j.createdAt).getTime() < 20_000 && j.id !== undefined && !seen.has(j.id),
          );
      }
      expect(done).toBeDefined();
      const closes =
        new Date(done!.createdAt).getTime() + Math.ceil((new Date(done!.finishedAt!).getTime() - new Date(done!.createdAt).getTime()) / 3000) * 3000;
      const mine = od.jobs.job(alice, done!.id);
      expect(Date.now(), 'read before the bucket closed').toBeLessThan(closes);
      expect(mine.state).toBe('running');
      expect(mine.finishedAt).toBeNull();
      expect(mine.outputs).toEqual([]);
      const r = await pending;
      expect(od.jobs.job(alice, r.jobId).state).toBe('completed');
    } finally {
      od.jobs.prodReplyBucketMs = 200;
    }
  });

  it('the same over HTTP: job reply, job record and job list', async () => {
    const auth = { authorization: `Bearer ${d.setup.tokens.alice}` };
    const post = await app.inject({
      method: 'POST',
      url: '/api/jobs',
      headers: auth,
      payload: { tenant: 'demo', env: 'prod', script: `${SECRET} output('x' + b, [{ a: b }]);` },
    });
    expect(post.statusCode).toBe(200);
    const body = post.json();
    expect(body).toMatchObject({ ok: true, outputs: [] });
    const one = (await app.inject({ method: 'GET', url: `/api/jobs/${body.jobId}`, headers: auth })).json();
    expect(one.outputs).toEqual([]);
    const list = (await app.inject({ method: 'GET', url: '/api/jobs', headers: auth })).json();
    expect(JSON.stringify(list.jobs.filter((j: { env: string }) => j.env === 'prod'))).not.toMatch(/"rowCount"|"x\d/);
  });

  it('an export report reaches the operator as verdicts and fixed reasons, without figures or cells', async () => {
    const r = await od.jobs.run(alice, {
      tenant: 'demo',
      env: 'prod',
      script: "output('out', await sql('SELECT county_code, gender, year(birth_date) AS y, count(*) AS n FROM population GROUP BY ALL'))",
      manifest: declare('out', [
        ['county_code', 'VARCHAR'],
        ['gender', 'VARCHAR'],
        ['y', 'BIGINT'],
        ['n', 'BIGINT'],
      ]),
    });
    expect(r.ok, JSON.stringify(r.error)).toBe(true);
    const req = await od.exports.request(alice, { jobId: r.jobId, output: 'out', draft: true, fix: { suppress: true } });
    expect(req.rules.every((x) => !x.cells && !/\d/.test(x.reason))).toBe(true);
    expect(req.details).toBeNull();
    expect(req.fix).toMatchObject({ redacted: true, suppressed: [] });
    expect(od.exports.get(sam, req.id).fix!.suppressed.length).toBeGreaterThan(0);
  });

  it('prod jobs started at once share a commit but not the quota: exactly the quota runs, the rest are refused and leave no row', async () => {
    const ada = await od.principal({ as: 'ada' });
    await od.tenants.create(ada, {
      id: 'burst',
      org: 'Burst Org',
      scenarios: ['stats'],
      grants: [{ dataset: 'population' }],
      justification: { 'population.*': ['stats'] },
      emergencyPlan: { summary: 'Suspend, seal, notify the authority within one hour.', contact: 'security officer', approvedAt: '2026-01-01' },
      termEnd: new Date(Date.now() + 86_400_000 * 30).toISOString(),
      limits: { prodJobsPerDay: 3 },
    } as never);
    od.people.register(ada, {
      name: 'bria',
      role: 'operator',
      tenant: 'burst',
      display: 'Bria',
      verified: true,
      agreementUntil: new Date(Date.now() + 86_400_000).toISOString(),
    });
    const bria = await od.principal({ as: 'bria' });
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, () => od.jobs.run(bria, { tenant: 'burst', env: 'prod', script: "output('o', [{ a: 1 }])" })),
    );
    expect(results.filter((r) => r.status === 'fulfilled').length).toBe(3);
    for (const r of results) if (r.status === 'rejected') expect((r.reason as { code: string }).code).toBe('PROD_JOB_QUOTA');
    expect(od.ctx.store.get<{ n: number }>("SELECT count(*) AS n FROM jobs WHERE tenant = 'burst'")!.n).toBe(3);
  });

  it('the rate of prod jobs per authorization is bounded, and administrators can lower it but not raise it past the ceiling', async () => {
    const ada = await od.principal({ as: 'ada' });
    await od.tenants.create(ada, {
      id: 'quota',
      org: 'Quota Org',
      scenarios: ['stats'],
      grants: [{ dataset: 'population' }],
      justification: { 'population.*': ['stats'] },
      emergencyPlan: { summary: 'Suspend, seal, notify the authority within one hour.', contact: 'security officer', approvedAt: '2026-01-01' },
      termEnd: new Date(Date.now() + 86_400_000 * 30).toISOString(),
      limits: { prodJobsPerDay: 2, exportChecksPerDay: 1 },
    } as never);
    od.people.register(ada, {
      name: 'quinn',
      role: 'operator',
      tenant: 'quota',
      display: 'Quinn',
      verified: true,
      agreementUntil: new Date(Date.now() + 86_400_000).toISOString(),
    });
    const quinn = await od.principal({ as: 'quinn' });
    const jobs: string[] = [];
    for (let i = 0; i < 2; i++) {
      const j = await od.jobs.run(quinn, { tenant: 'quota', env: 'prod', script: "output('o', [{ a: 1 }])" });
      expect(j.ok).toBe(true);
      jobs.push(j.jobId);
    }
    await expect(od.jobs.run(quinn, { tenant: 'quota', env: 'prod', script: "output('o', [{ a: 1 }])" })).rejects.toMatchObject({ code: 'PROD_JOB_QUOTA' });
    // Export checks say which rules object: they are bounded per day too, revisions included.
    const req = await od.exports.request(quinn, { jobId: jobs[0]!, output: 'o', draft: true });
    await expect(od.exports.request(quinn, { jobId: jobs[1]!, output: 'o', draft: true })).rejects.toMatchObject({ code: 'EXPORT_CHECK_QUOTA' });
    await expect(od.exports.revise(quinn, req.id, { fix: { suppress: true } })).rejects.toMatchObject({ code: 'EXPORT_CHECK_QUOTA' });
    // The ceiling holds whatever an administrator writes.
    expect(resolveLimits({ prodJobsPerDay: 10_000 }).prodJobsPerDay).toBe(500);
    // Dev runs are not counted.
    expect((await od.jobs.run(quinn, { tenant: 'quota', env: 'dev', script: "output('o', [{ a: 1 }])" })).ok).toBe(true);
  });

  it('a malformed manifest is refused before anything runs', async () => {
    const before = od.jobs.list(sam, 'demo').length;
    const col = [{ name: 'a', type: 'BIGINT' }];
    const bad: unknown[] = [
      [],
      'out',
      { outputs: [] },
      { outputs: [{ name: 'Out!', columns: col }] },
      { outputs: [{ name: 'o', columns: [] }] },
      { outputs: [{ name: 'o', columns: [{ name: 'a', type: 'TEXT' }] }] },
      {
        outputs: [
          { name: 'o', columns: col },
          { name: 'o', columns: col },
        ],
      },
      { outputs: [{ name: 'o', columns: [...col, ...col] }] },
      { outputs: Array.from({ length: 9 }, (_, i) => ({ name: `o${i}`, columns: col })) },
      { outputs: [{ name: 'o', columns: col, rows: 5 }] },
      { outputs: [{ name: 'o', columns: col }], extra: true },
    ];
    for (const manifest of bad) {
      await expect(
        od.jobs.run(alice, { tenant: 'demo', env: 'prod', script: "output('o', [{ a: 1 }])", manifest }),
        JSON.stringify(manifest),
      ).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    }
    expect(od.jobs.list(sam, 'demo').length).toBe(before);
  });

  it('dev keeps its freedom: previews, row counts and messages', async () => {
    const r = await od.jobs.run(alice, { tenant: 'demo', env: 'dev', script: "log('hi'); output('o', [{ a: 1 }])" });
    expect(r).toMatchObject({ ok: true, logs: ['hi'], outputs: [{ name: 'o', rowCount: 1, preview: [[1]] }] });
  });
});
