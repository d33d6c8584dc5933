// The job path, side by side with its floors in one run, as ratios:
//   npm run bench:jobs                    (demo scale 50000 people)
//   npm run bench:jobs -- --scale 200000 --jobs 300
// 1. a bare isolated-vm isolate (create, context, run a trivial script, dispose) vs a trivial
//    job posted over HTTP to a warm gateway on loopback (p50 / p95);
// 2. 4 authorizations × 4 concurrent clients posting trivial jobs (p50 / p99);
// 3. a small query from a script, per call, vs the same query on plain DuckDB in this process;
// 4. `opdomain --help` and `opdomain datasets list` wall time vs `node -e 0`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import ivm from 'isolated-vm';
import { DuckDBInstance } from '@duckdb/node-api';
import { CATALOG } from '../datasets/index.ts';
// @ts-expect-error plain JavaScript launcher without types
import { compiledEntry } from '../bin/launch.js';
import { buildApp, Opdomain, setupDemo, DEMO_EMERGENCY_PLAN } from '../gateway/index.ts';
import { arg, Figures, ms, pct } from './figures.ts';

const SCALE = arg('scale', 50_000);
const JOBS = arg('jobs', 200);
const figures = new Figures();
const rows = figures.rows;
const report = (what: string, value: string, ratio?: string) => figures.report(what, value, ratio);

async function bareIsolate(n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const iso = new ivm.Isolate({ memoryLimit: 128 });
    const ctx = await iso.createContext();
    const script = await iso.compileScript('(async () => { globalThis.x = [{ a: 1 }]; })()');
    await script.run(ctx, { promise: true });
    iso.dispose();
    out.push(performance.now() - t);
  }
  return out;
}

const dir = mkdtempSync(join(tmpdir(), 'opdomain-bench-jobs-'));
try {
  const od = await Opdomain.open({ home: join(dir, 'home'), workerPool: 2 });
  const setup = await setupDemo(od, { scale: SCALE });
  // Three more authorizations, each with an operator, for the concurrency figure.
  const ada = await od.principal({ as: 'ada' });
  const tenants = ['demo'];
  const tokens: Record<string, string> = { demo: setup.tokens.alice! };
  for (const id of ['north', 'south', 'east']) {
    await od.tenants.create(ada, {
      id,
      org: `${id} Data Co.`,
      scenarios: ['stats'],
      grants: CATALOG.map((ds) => ({ dataset: ds.id })),
      termEnd: new Date(Date.now() + 365 * 86_400_000).toISOString(),
      justification: Object.fromEntries(CATALOG.map((ds) => [`${ds.id}.*`, ['stats']])),
      emergencyPlan: DEMO_EMERGENCY_PLAN,
    });
    od.ctx.people.register(
      { name: `op-${id}`, role: 'operator', tenant: id, display: id, verified: true, agreementUntil: new Date(Date.now() + 30 * 86_400_000).toISOString() },
      'system',
    );
    tenants.push(id);
    tokens[id] = await od.ctx.identity.issueDevToken(`op-${id}`);
  }
  const app = buildApp(od);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/api/jobs`;
  const post = async (tenant: string, script: string) => {
    const t = performance.now();
    const res = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens[tenant]}`, 'content-type': 'application/json' },
      body: JSON.stringify({ tenant, env: 'dev', script }),
    });
    const body = (await res.json()) as { ok: boolean; error?: unknown };
    if (!body.ok) throw new Error(JSON.stringify(body));
    return performance.now() - t;
  };
  const TRIVIAL = "output('x', [{ a: 1 }])";

  // 1. Trivial job over HTTP vs a bare isolate.
  await bareIsolate(20);
  const bare = await bareIsolate(JOBS);
  for (let i = 0; i < 10; i++) await post('demo', TRIVIAL);
  const http: number[] = [];
  for (let i = 0; i < JOBS; i++) http.push(await post('demo', TRIVIAL));
  report('floor: bare isolate — create, context, trivial script, dispose (p50 / p95)', `${ms(pct(bare, 0.5))} / ${ms(pct(bare, 0.95))}`, '1.00× (floor)');
  report(
    'trivial job over HTTP, warm gateway (p50 / p95)',
    `${ms(pct(http, 0.5))} / ${ms(pct(http, 0.95))}`,
    `${(pct(http, 0.5) / pct(bare, 0.5)).toFixed(1)}× (p50)`,
  );

  // 2. 4 authorizations × 4 concurrent clients.
  // Warm: each authorization's four workers started once, as a gateway in use has them.
  await Promise.all(
    tenants.flatMap((t) =>
      Array.from({ length: 4 }, async () => {
        for (let i = 0; i < 3; i++) await post(t, TRIVIAL);
      }),
    ),
  );
  const concurrent: number[] = [];
  const perClient = Math.max(10, Math.round(JOBS / 8));
  const started = performance.now();
  await Promise.all(
    tenants.flatMap((t) =>
      Array.from({ length: 4 }, async () => {
        for (let i = 0; i < perClient; i++) concurrent.push(await post(t, TRIVIAL));
      }),
    ),
  );
  const wall = performance.now() - started;
  report(
    `trivial jobs, 4 authorizations × 4 concurrent clients, ${concurrent.length} jobs (p50 / p99)`,
    `${ms(pct(concurrent, 0.5))} / ${ms(pct(concurrent, 0.99))}`,
    `${Math.round(concurrent.length / (wall / 1000))} jobs/s`,
  );

  // 3. A small query from a script vs plain DuckDB on the same file.
  const small = 'SELECT count(*) AS n FROM population';
  const inst = await DuckDBInstance.create(od.ctx.paths.tenantDb('demo', 'dev'), { access_mode: 'READ_ONLY', threads: '1' });
  const con = await inst.connect();
  for (let i = 0; i < 20; i++) await con.runAndReadAll(small);
  const t0 = performance.now();
  for (let i = 0; i < 100; i++) await con.runAndReadAll(small);
  const plainMs = (performance.now() - t0) / 100;
  con.closeSync();
  inst.closeSync();
  const alice = await od.principal({ as: 'alice' });
  const perCall: number[] = [];
  for (let k = 0; k < 5; k++) {
    const r = await od.jobs.run(alice, {
      tenant: 'demo',
      env: 'dev',
      script: `await sql('${small}'); const t = Date.now(); for (let i = 0; i < 100; i++) await sql('${small}'); output('t', [{ ms: (Date.now() - t) / 100 }])`,
    });
    perCall.push(Number(od.jobs.output(r.jobId, 't').rows[0]![0]));
  }
  report('floor: small count(*) on plain DuckDB, this process, per call', ms(plainMs), '1.00× (floor)');
  report(
    "small count(*) from a script (gate, audit fsync'd, IPC), per call, median of 5 jobs",
    ms(pct(perCall, 0.5)),
    `${(pct(perCall, 0.5) / plainMs).toFixed(1)}×`,
  );
  await app.close();
  await od.close();

  // 4. CLI start-up.
  // As a user on PATH runs it: the executable itself (its shebang passes --no-node-snapshot).
  const wallOf = (args: string[]) => {
    const out: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      const [file, ...rest] = args[0] === 'bin/opdomain.js' ? args : [process.execPath, ...args];
      const r = spawnSync(file!, rest, { env: { ...process.env, OPDOMAIN_HOME: join(dir, 'home') }, stdio: 'ignore' });
      if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}`);
      out.push(performance.now() - t);
    }
    return pct(out, 0.5);
  };
  const nodeMs = wallOf(['-e', '0']);
  const helpMs = wallOf(['bin/opdomain.js', '--help']);
  const listMs = wallOf(['bin/opdomain.js', 'datasets', 'list']);
  report('floor: node -e 0', ms(nodeMs), '1.00× (floor)');
  const from = compiledEntry('gateway/main.ts') ? 'compiled dist/' : 'TypeScript sources (dist/ missing or stale: npm run build)';
  report(`opdomain --help (${from})`, ms(helpMs), `${(helpMs / nodeMs).toFixed(1)}×`);
  report('opdomain datasets list', ms(listMs), `${(listMs / nodeMs).toFixed(1)}×`);

  console.log(`\nOpdomain job-path bench — demo scale ${SCALE} people, ${JOBS} jobs; node ${process.version}; ${new Date().toISOString()}\n`);
  console.log('| measure | time | ratio |\n| --- | --- | --- |');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
