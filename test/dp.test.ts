// Differentially private aggregates (R14) on a real domain: the discrete Laplace sampler
// matches its distribution; a value far outside the bounds contributes at most the bound; the
// budget refuses what would overspend it, refunds failures, and holds under parallel jobs; a
// DP-only output is recognised by the export gate's dp rule, and nothing else passes by it.
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { discreteLaplace, laplaceScale, rational } from '../privacy/index.ts';
import type { Opdomain, Principal } from '../gateway/index.ts';
import { demoDomain } from './helpers.ts';

describe('the discrete Laplace sampler', () => {
  it('matches its distribution over many draws (P(0), tails, variance) within tolerance', () => {
    const N = 40_000;
    const b = 2; // scale Δ/ε with Δ = 1, ε = 0.5
    const xs = Array.from({ length: N }, () => Number(discreteLaplace(laplaceScale(1n, rational(0.5, 'epsilon')))));
    const p = Math.exp(-1 / b);
    const pmf = (k: number) => ((1 - p) / (1 + p)) * p ** Math.abs(k);
    // Each probability within 5 standard errors.
    for (const k of [-3, -1, 0, 1, 2, 5]) {
      const got = xs.filter((x) => x === k).length / N;
      const se = Math.sqrt((pmf(k) * (1 - pmf(k))) / N);
      expect(Math.abs(got - pmf(k)), `P(${k})`).toBeLessThan(5 * se);
    }
    const mean = xs.reduce((a, x) => a + x, 0) / N;
    const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / N;
    const want = (2 * p) / (1 - p) ** 2;
    expect(Math.abs(mean)).toBeLessThan(5 * Math.sqrt(want / N));
    expect(Math.abs(variance - want) / want).toBeLessThan(0.05);
    expect(xs.every(Number.isInteger)).toBe(true);
  });
});

let d: Awaited<ReturnType<typeof demoDomain>>;
let od: Opdomain;
let alice: Principal, ada: Principal, sam: Principal;
beforeAll(async () => {
  d = await demoDomain({ workerPool: 3 });
  od = d.od;
  [alice, ada, sam] = await Promise.all(['alice', 'ada', 'sam'].map((as) => od.principal({ as })));
}, 180_000);
afterAll(() => d.close());

const run = (script: string, env: 'dev' | 'prod' = 'prod') => od.jobs.run(alice, { tenant: 'demo', env, script });
const left = (dataset: string) => od.dp.list(ada, 'demo').find((b) => b.dataset === dataset)!.epsilonLeft;

describe('DP aggregates in scripts, and their budget', () => {
  it('without a budget nothing runs; budget 1.0 with 0.6 then 0.5 refuses the second and leaves 0.4', async () => {
    const q = (eps: number) => `const r = await dp.count({ table: 'population', epsilon: ${eps} }); output('n', [{ n: r.value }])`;
    expect((await run(q(0.6))).error?.code).toBe('JOB_FAILED_QUERY');
    expect((await od.jobs.run(alice, { tenant: 'demo', env: 'dev', script: q(0.6) })).ok).toBe(true);
    od.dp.set(ada, { tenant: 'demo', dataset: 'population', epsilon: 1.0, perQuery: 1.0, reason: 'the year 2026 statistics' });
    const first = await run(q(0.6));
    expect(first.ok, JSON.stringify(first.error)).toBe(true);
    expect(Math.abs(Number(od.jobs.output(first.jobId, 'n').rows[0]![0]) - 3000)).toBeLessThan(60);
    expect((await run(q(0.5))).ok).toBe(false);
    expect(left('population')).toBeCloseTo(0.4, 9);
    // Dev draws the same noise and charges nothing.
    const dev = await od.jobs.run(alice, { tenant: 'demo', env: 'dev', script: q(0.5) });
    expect(dev.ok).toBe(true);
    expect(left('population')).toBeCloseTo(0.4, 9);
    const kinds = od.ctx.store.all<{ kind: string }>("SELECT kind FROM audit WHERE kind LIKE 'DP_%' ORDER BY seq").map((x) => x.kind);
    expect(kinds).toEqual(['DP_BUDGET_SET', 'DP_RESERVED', 'DP_CHARGED']);
  });

  it('refuses specs that try to leave their query, or that are not specs, with codes; nothing is charged', async () => {
    const dev = async (spec: string) => {
      const r = await od.jobs.run(alice, { tenant: 'demo', env: 'dev', script: `await dp.count(${spec})` });
      return r.error?.code;
    };
    // A WHERE that closes its parenthesis to add rows, groups or a second statement.
    expect(await dev(`{ table: 'population', epsilon: 1, where: "1 = 1) UNION ALL SELECT id_card, '', 1e9 FROM population --" }`)).toBe('DP_INVALID');
    expect(await dev(`{ table: 'population', epsilon: 1, where: "true) GROUP BY 1, 2) QUALIFY true --" }`)).toBe('DP_INVALID');
    expect(await dev(`{ table: 'population', epsilon: 1, where: "true); SELECT 1; --" }`)).toBe('DP_INVALID');
    expect(await dev(`{ table: 'population', epsilon: 1, where: "read_csv('/etc/passwd') IS NOT NULL" }`)).toBe('SQL_FUNCTION_NOT_ALLOWED');
    // A subquery over a granted table is fine: the noise bounds each unit whatever selects it.
    expect(await dev(`{ table: 'population', epsilon: 1, where: "county_code IN (SELECT county_code FROM enterprise)" }`)).toBeUndefined();
    expect(await dev(`{ table: 'secret_table', epsilon: 1 }`)).toBe('SQL_TABLE_NOT_ALLOWED');
    expect(await dev(`{ table: 'population', epsilon: 0 }`)).toBe('DP_INVALID');
    expect(await dev(`{ table: 'population', epsilon: 1, maxGroups: 0 }`)).toBe('DP_INVALID');
    expect(await dev(`{ table: 'population', groupBy: 'no_such', epsilon: 1 }`)).toBe('DP_INVALID');
    const sum = await od.jobs.run(alice, {
      tenant: 'demo',
      env: 'dev',
      script: "await dp.sum({ table: 'social_insurance', column: 'base_amount', lo: 5, hi: 5, epsilon: 1 })",
    });
    expect(sum.error?.code).toBe('DP_INVALID');
    expect(
      od.ctx.store.all<{ n: number }>(
        "SELECT count(*) AS n FROM dp_charges WHERE state <> 'refunded' AND job_id IN (SELECT id FROM jobs WHERE env = 'dev')",
      )[0]!.n,
    ).toBe(0);
    // Only an administrator sets a budget; an operator reads her own.
    expect(() => od.dp.set(alice, { tenant: 'demo', dataset: 'population', epsilon: 9, reason: 'more for me please' })).toThrow(
      expect.objectContaining({ code: 'FORBIDDEN_ROLE' }),
    );
    expect(() => od.dp.set(ada, { tenant: 'demo', dataset: 'population', epsilon: 1, perQuery: 2, reason: 'cap above total' })).toThrow(
      expect.objectContaining({ code: 'BAD_REQUEST' }),
    );
  });

  it('a failing query is refunded; the per-query cap refuses', async () => {
    od.dp.set(ada, { tenant: 'demo', dataset: 'social_insurance', epsilon: 2, perQuery: 0.5, reason: 'insurance statistics' });
    const bad = await run(
      "await dp.sum({ table: 'social_insurance', column: 'base_amount', lo: 0, hi: 50000, epsilon: 0.3, where: 'base_amount / 0 > CAST(month AS INTEGER)' })",
    );
    expect(bad.ok).toBe(false);
    expect(left('social_insurance')).toBe(2);
    expect(od.ctx.store.all<{ n: number }>("SELECT count(*) AS n FROM audit WHERE kind = 'DP_REFUNDED'")[0]!.n).toBe(1);
    expect((await od.jobs.run(alice, { tenant: 'demo', env: 'dev', script: "await dp.count({ table: 'social_insurance', epsilon: 0.6 })" })).ok).toBe(true);
    const capped = await run("await dp.count({ table: 'social_insurance', epsilon: 0.6 })");
    expect(capped.ok).toBe(false);
    expect(left('social_insurance')).toBe(2);
  });

  it('a value far outside the bounds contributes at most the bound', async () => {
    // Sums over everyone with bounds [0, 1]: each person adds at most 1 whatever their base is.
    const r = await od.jobs.run(alice, {
      tenant: 'demo',
      env: 'dev',
      script:
        "const r = await dp.sum({ table: 'social_insurance', column: 'base_amount', lo: 0, hi: 1, epsilon: 5 }); const c = await dp.count({ table: 'social_insurance', epsilon: 5 }); output('x', [{ s: r.value, c: c.value }])",
    });
    expect(r.ok, JSON.stringify(r.error)).toBe(true);
    const [s, c] = od.jobs.output(r.jobId, 'x').rows[0]!.map(Number);
    expect(s).toBeLessThanOrEqual(c! + 10);
    expect(s).toBeGreaterThan(c! - 10);
  });

  it('parallel jobs cannot overspend', async () => {
    od.dp.set(ada, { tenant: 'demo', dataset: 'medical_claims', epsilon: 1, perQuery: 0.3, reason: 'claims statistics' });
    const results = await Promise.all(
      Array.from({ length: 6 }, () => run("const r = await dp.count({ table: 'medical_claims', epsilon: 0.3 }); output('n', [{ n: r.value }])")),
    );
    expect(results.filter((r) => r.ok).length).toBe(3);
    expect(left('medical_claims')).toBeCloseTo(0.1, 9);
  });

  it('grouped releases: public keys list every county; keys that are not public are thresholded', async () => {
    const r = await od.jobs.run(alice, {
      tenant: 'demo',
      env: 'dev',
      script:
        "const a = await dp.count({ table: 'population', groupBy: 'county_code', epsilon: 1 }); const b = await dp.count({ table: 'medical_claims', groupBy: 'icd10', epsilon: 1, delta: 1e-6 }); output('a', a.rows.map(([k, v]) => ({ k, v }))); output('b', b.rows.map(([k, v]) => ({ k, v }))); log(a.delta, b.delta)",
    });
    expect(r.ok, JSON.stringify(r.error)).toBe(true);
    expect(od.jobs.output(r.jobId, 'a').rows.length).toBe(90);
    expect(r.logs).toEqual(['0 0.000001']);
  });

  it('the export gate: an output made only of a DP release passes the dp rule with one reviewer; anything else in it does not', async () => {
    od.dp.set(ada, { tenant: 'demo', dataset: 'population', epsilon: 3, perQuery: 1, reason: 'raise for the county release' });
    const ok = await run(
      "const r = await dp.count({ table: 'population', groupBy: 'county_code', epsilon: 1 }); output('out', r.rows.map(([county, people]) => ({ county, people })))",
    );
    expect(ok.ok, JSON.stringify(ok.error)).toBe(true);
    const req = await od.exports.request(alice, { jobId: ok.jobId, output: 'out', draft: true });
    const full = await od.exports.get(sam, req.id);
    expect(full.rules.find((x) => x.rule === 'dp')).toMatchObject({ verdict: 'pass' });
    expect(full.verdict).not.toBe('block');
    expect(full.requiredApprovals).toBe(1);
    // A DP release with one extra column from the script: not a DP-only output.
    const mixed = await run(
      "const r = await dp.count({ table: 'population', groupBy: 'county_code', epsilon: 1 }); output('out', r.rows.map(([county, people]) => ({ county, people, raw: 1 })))",
    );
    const req2 = await od.exports.request(alice, { jobId: mixed.jobId, output: 'out', draft: true });
    const full2 = await od.exports.get(sam, req2.id);
    expect(full2.rules.find((x) => x.rule === 'dp')!.reason).toMatch(/not a release of DP aggregates only/);
    expect(full2.rules.find((x) => x.rule === 'provenance')!.verdict).not.toBe('pass');
    expect(full2.verdict).not.toBe('pass');
    expect(full2.verdict).toBe('block');
    // The operator's view shows no dp rule (it only ever passes).
    expect(req2.rules.some((x) => x.rule === 'dp')).toBe(false);
  });
});
