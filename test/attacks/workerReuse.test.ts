// Long-lived workers (sandbox/supervisor.ts): one worker serves many jobs of one tenant file,
// so these attacks try what a reused worker could carry from one job to the next (globals,
// prototypes, DuckDB temp objects, prepared statements, variables, settings), and what one
// tenant's crash or memory bomb could do to another tenant's job running at the same time.
// Every job runs through the core, as an operator's would; which worker served it is read
// from the job's own record.
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthorizationSpec } from '../../domain/index.ts';
import type { Principal, RunResult } from '../../gateway/index.ts';
import { Supervisor, resolveLimits } from '../../sandbox/index.ts';
import { demoDomain } from '../helpers.ts';

type Domain = Awaited<ReturnType<typeof demoDomain>>;
let d: Domain;
let alice: Principal;
let nora: Principal;

const PLAN = { summary: 'Suspend, seal, notify the authority within one hour.', contact: 'security officer, 24 h line', approvedAt: '2026-01-01' };
const spec = (id: string, limits: Record<string, number>): AuthorizationSpec =>
  ({
    id,
    org: 'North Data Co.',
    scenarios: ['stats'],
    grants: [{ dataset: 'population' }],
    termEnd: new Date(Date.now() + 365 * 86_400_000).toISOString(),
    justification: { 'population.*': ['stats'] },
    emergencyPlan: PLAN,
    limits,
  }) as AuthorizationSpec;

const workerOf = (jobId: string) => d.od.ctx.store.get<{ worker_pid: number }>('SELECT worker_pid FROM jobs WHERE id = ?', jobId)!.worker_pid;
const alive = (pid: number) => existsSync(`/proc/${pid}`) && !/State:\s+Z/.test(readStatus(pid));
const readStatus = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return '';
  }
};
const run = (who: Principal, tenant: string, script: string): Promise<RunResult> => d.od.jobs.run(who, { tenant, env: 'dev', script });
const rows = (r: RunResult, name: string) => d.od.jobs.output(r.jobId, name).rows;

beforeAll(async () => {
  d = await demoDomain({ workerPool: 1 });
  const ada = await d.od.principal({ as: 'ada' });
  // A second authorization whose worker memory cap a DuckDB list of 30M numbers breaks.
  await d.od.tenants.create(ada, spec('north', { workerMemoryMb: 400, duckdbMemoryMb: 2048 }));
  d.od.ctx.people.register(
    { name: 'nora', role: 'operator', tenant: 'north', display: 'Nora', verified: true, agreementUntil: new Date(Date.now() + 86_400_000 * 30).toISOString() },
    'system',
  );
  alice = await d.od.principal({ as: 'alice' });
  nora = await d.od.principal({ as: 'nora' });
}, 180_000);
afterAll(async () => d?.close());

describe('a reused worker carries nothing from one job to the next', () => {
  it('globals, prototypes, temp objects, prepared statements, variables and settings do not survive the job', async () => {
    const first = await run(
      alice,
      'demo',
      `
      globalThis.leak = 'secret';
      Object.prototype.polluted = 'yes';
      Array.prototype.map = () => 'hijacked';
      JSON.stringify = () => 'hijacked';
      const tries = {};
      const attempts = {
        temp: 'CREATE TEMP TABLE t AS SELECT 1 AS a',
        view: 'CREATE TEMP VIEW v AS SELECT 1 AS a',
        macro: 'CREATE TEMP MACRO m() AS 42',
        prepare: 'PREPARE p AS SELECT 42',
        variable: 'SET VARIABLE v = 42',
        threads: 'SET threads = 8',
        memory: "SET memory_limit = '8GB'",
        path: "SET search_path = 'temp'",
        attach: "ATTACH ':memory:' AS x",
        pragma: 'PRAGMA enable_profiling',
        use: 'USE temp',
        secret: "CREATE SECRET s (TYPE s3, KEY_ID 'k', SECRET 'v')",
      };
      for (const [k, q] of Object.entries(attempts)) {
        try { await sql(q); tries[k] = 'ran'; } catch (e) { tries[k] = 'refused'; }
      }
      output('tries', [tries]);
    `,
    );
    expect(first.ok, JSON.stringify(first.error)).toBe(true);
    const tries = rows(first, 'tries')[0]!;
    expect(
      tries.every((v) => v === 'refused'),
      JSON.stringify(tries),
    ).toBe(true);

    const second = await run(
      alice,
      'demo',
      `
      const seen = {
        leak: typeof globalThis.leak,
        polluted: String(({}).polluted),
        map: [1, 2].map((x) => x * 2).join(','),
        json: JSON.stringify({ a: 1 }),
      };
      const probe = async (q) => { try { const r = await sql(q); return JSON.stringify(r); } catch (e) { return 'refused'; } };
      seen.temp = await probe('SELECT * FROM t');
      seen.execute = await probe('EXECUTE p');
      seen.variable = await probe("SELECT getvariable('v') AS v");
      seen.threads = await probe("SELECT current_setting('threads') AS t");
      seen.memory = await probe("SELECT current_setting('memory_limit') AS m");
      output('seen', [seen]);
    `,
    );
    expect(second.ok, JSON.stringify(second.error)).toBe(true);
    // The same process served both: the attack really met a reused worker.
    expect(workerOf(second.jobId)).toBe(workerOf(first.jobId));
    const seen = Object.fromEntries(d.od.jobs.output(second.jobId, 'seen').columns.map((c, i) => [c.name, rows(second, 'seen')[0]![i]]));
    expect(seen.leak).toBe('undefined');
    expect(seen.polluted).toBe('undefined');
    expect(seen.map).toBe('2,4');
    expect(seen.json).toBe('{"a":1}');
    expect(seen.temp).toBe('refused');
    expect(seen.execute).toBe('refused');
    // getvariable is refused by the gate or answers null: never 42.
    expect(String(seen.variable)).not.toContain('42');
    // Settings are refused by the gate, or still the authorization's own.
    expect(seen.threads === 'refused' || String(seen.threads).includes('"1"'), String(seen.threads)).toBe(true);
    expect(String(seen.memory)).not.toMatch(/8\.0 ?G/);
  });

  it('two tenants never share a worker, and each keeps its own', async () => {
    const a1 = await run(alice, 'demo', "output('n', await sql('SELECT count(*) AS n FROM population'))");
    const n1 = await run(nora, 'north', "output('n', await sql('SELECT count(*) AS n FROM population'))");
    const a2 = await run(alice, 'demo', "output('n', await sql('SELECT count(*) AS n FROM population'))");
    for (const r of [a1, n1, a2]) expect(r.ok, JSON.stringify(r.error)).toBe(true);
    expect(workerOf(n1.jobId)).not.toBe(workerOf(a1.jobId));
    expect(workerOf(a2.jobId)).toBe(workerOf(a1.jobId));
  });
});

describe("one tenant's crash or memory bomb leaves another tenant's job alone", () => {
  const busy = `
    let n = 0;
    for (let i = 0; i < 40; i++) n += Number((await sql('SELECT count(*) AS n FROM population'))[0].n);
    output('n', [{ n }]);
  `;

  it("a job that blows its worker's memory cap is killed; the other tenant's job finishes with the right answer", async () => {
    const expected = Number(rows(await run(alice, 'demo', "output('n', await sql('SELECT count(*) AS n FROM population'))"), 'n')[0]![0]) * 40;
    const [bomb, other] = await Promise.all([
      run(nora, 'north', "await sql('SELECT list(range) FROM range(30000000)'); output('x', [{ a: 1 }])"),
      run(alice, 'demo', busy),
    ]);
    expect(bomb.ok).toBe(false);
    expect(bomb.error?.code).toBe('SANDBOX_WORKER_MEMORY');
    expect(other.ok, JSON.stringify(other.error)).toBe(true);
    expect(Number(rows(other, 'n')[0]![0])).toBe(expected);
    // The killed worker is gone; the tenant's next job gets a fresh one and runs.
    const dead = workerOf(bomb.jobId);
    const next = await run(nora, 'north', "output('n', await sql('SELECT count(*) AS n FROM population'))");
    expect(next.ok, JSON.stringify(next.error)).toBe(true);
    expect(workerOf(next.jobId)).not.toBe(dead);
    expect(alive(dead)).toBe(false);
  });

  it("a DuckDB memory bomb ends on DuckDB's own limit while the other tenant stays busy, and its worker still answers right", async () => {
    const [bomb, other] = await Promise.all([
      run(alice, 'demo', "await sql('SELECT list(range ORDER BY range DESC) FROM range(200000000)'); output('x', [{ a: 1 }])"),
      run(nora, 'north', busy),
    ]);
    expect(bomb.ok).toBe(false);
    expect(['SQL_EXECUTION_ERROR', 'SANDBOX_WORKER_MEMORY']).toContain(bomb.error?.code);
    expect(other.ok, JSON.stringify(other.error)).toBe(true);
    const after = await run(alice, 'demo', "output('n', await sql('SELECT count(*) AS n FROM population'))");
    expect(after.ok, JSON.stringify(after.error)).toBe(true);
    expect(Number(rows(after, 'n')[0]![0])).toBeGreaterThan(0);
  });

  it('a job stopped at a limit retires its worker: the next job of the tenant runs in another process', async () => {
    const stuck = await d.od.jobs.run(alice, { tenant: 'demo', env: 'dev', script: 'while (true) {}' });
    expect(stuck.error?.code).toBe('SANDBOX_CPU_LIMIT');
    const next = await run(alice, 'demo', "output('x', [{ a: 1 }])");
    expect(next.ok).toBe(true);
    expect(workerOf(next.jobId)).not.toBe(workerOf(stuck.jobId));
  }, 60_000);
});

describe('sealing reaches idle workers', () => {
  it('suspending an authorization ends the workers that held its files open; resuming serves it afresh', async () => {
    const r = await run(nora, 'north', "output('x', [{ a: 1 }])");
    expect(r.ok).toBe(true);
    const pid = workerOf(r.jobId);
    expect(alive(pid)).toBe(true);
    const ada = await d.od.principal({ as: 'ada' });
    d.od.tenants.transition(ada, 'north', 'suspend', 'attack test');
    await expect.poll(() => alive(pid), { timeout: 5000 }).toBe(false);
    d.od.tenants.transition(ada, 'north', 'resume');
    const again = await run(await d.od.principal({ as: 'nora' }), 'north', "output('x', [{ a: 1 }])");
    expect(again.ok, JSON.stringify(again.error)).toBe(true);
    expect(workerOf(again.jobId)).not.toBe(pid);
  });

  it('a rebuilt tenant file is read by a new worker, never by one holding the old version', async () => {
    const before = await run(alice, 'demo', "output('x', [{ a: 1 }])");
    const ada = await d.od.principal({ as: 'ada' });
    await d.od.tenants.build(ada, 'demo');
    const after = await run(await d.od.principal({ as: 'alice' }), 'demo', "output('n', await sql('SELECT count(*) AS n FROM population'))");
    expect(after.ok, JSON.stringify(after.error)).toBe(true);
    expect(workerOf(after.jobId)).not.toBe(workerOf(before.jobId));
  }, 120_000);
});

describe('the idle pool is bounded', () => {
  it('past maxIdle the worker idle longest exits to make room', async () => {
    const sup = new Supervisor({ poolSize: 0, maxIdle: 1 });
    try {
      const runOn = async (env: 'dev' | 'prod') => {
        let pid = 0;
        const r = await sup.run(
          {
            jobId: `idle-${env}-${Math.random()}`,
            tenant: 'demo',
            env,
            dbPath: d.od.ctx.paths.tenantDb('demo', env),
            buildId: null,
            script: "output('x', [{ a: 1 }])",
            params: {},
            limits: resolveLimits({}),
          },
          {
            onQuery: () => undefined,
            onStart: (p) => {
              pid = p;
            },
          },
        );
        expect(r.ok, JSON.stringify(r.error)).toBe(true);
        return pid;
      };
      const dev = await runOn('dev');
      expect(await runOn('dev')).toBe(dev);
      const prod = await runOn('prod');
      expect(prod).not.toBe(dev);
      await expect.poll(() => alive(dev), { timeout: 5000 }).toBe(false);
      expect(await runOn('prod')).toBe(prod);
    } finally {
      await sup.close();
    }
  });
});
