// Product calls, side by side with their floors in one run, as ratios:
//   npm run bench:products                         (demo scale 50000 people)
//   npm run bench:products -- --scale 200000 --rate 200 --seconds 20
// 1. the template's SQL on plain DuckDB (a read-only instance of the same prod file, this process)
//    vs an uncached call over HTTP (the cache emptied before each: gate, query, cell measuring,
//    controls, ledger, audit entry);
// 2. a bare fastify route over HTTP vs a cached call over HTTP (p50);
// 3. a sustained rate from a loopback load generator (autocannon) at --rate calls a second:
//    p50 / p99 and whether every call left its audit entry (and the log still verifies).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import Fastify from 'fastify';
import { DuckDBInstance } from '@duckdb/node-api';
import { buildApp, Opdomain, setupDemo } from '../gateway/index.ts';
import { arg, Figures, ms, pct } from './figures.ts';

const SCALE = arg('scale', 50_000);
const N = arg('calls', 200);
const RATE = arg('rate', 200);
const SECONDS = arg('seconds', 15);
const figures = new Figures();
const rows = figures.rows;
const report = (what: string, value: string, ratio?: string) => figures.report(what, value, ratio);

const SPEC = {
  product: 'people-by-county',
  title: 'Residents by county and gender',
  scenario: 'public-statistics',
  sql: 'SELECT county_code, count(*) AS people FROM population WHERE gender = $gender GROUP BY county_code ORDER BY county_code',
  parameters: { properties: { gender: { type: 'string', enum: ['男', '女'] } } },
  columns: ['county_code', 'people'],
  unit: 'person',
  controls: { minUnits: 10, roundTo: 5, rowCap: 500 },
};

async function timed(n: number, fn: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  return out;
}

const dir = mkdtempSync(join(tmpdir(), 'opdomain-bench-products-'));
try {
  const od = await Opdomain.open({ home: join(dir, 'home'), workerPool: 0 });
  await setupDemo(od, { scale: SCALE });
  const as = (name: string) => od.principal({ as: name });
  await od.products.propose(await as('alice'), SPEC);
  for (const r of ['bob', 'carol']) od.products.decide(await as(r), SPEC.product, 1, 'approve');
  od.consumers.add(await as('ada'), { id: 'bench', name: 'Bench Ltd' });
  const { key } = od.consumers.issueKey(await as('ada'), 'bench');
  od.consumers.grant(await as('ada'), {
    consumer: 'bench',
    product: SPEC.product,
    version: 1,
    perMinute: 100_000,
    perDay: 10_000_000,
    rowsPerDay: 100_000_000,
  });
  const app = buildApp(od);
  // The server's own count of answered product calls: each must have its audit entry.
  let answered = 0;
  app.addHook('onResponse', async (req) => {
    if (req.url.startsWith('/products/')) answered++;
  });
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `${base}/products/${SPEC.product}/v1?gender=${encodeURIComponent('女')}`;
  const headers = { 'x-api-key': key, 'x-scenario': SPEC.scenario };
  const get = async () => {
    const r = await fetch(url, { headers });
    if (r.status !== 200) throw new Error(`call answered ${r.status}: ${await r.text()}`);
    await r.arrayBuffer();
  };

  // 1. uncached call vs plain DuckDB.
  const plainDb = await DuckDBInstance.create(od.ctx.paths.tenantDb('demo', 'prod'), { access_mode: 'READ_ONLY', threads: '1' });
  const con = await plainDb.connect();
  const plain = await timed(N, async () => (await con.runAndReadAll(SPEC.sql, { gender: '女' } as never)).getRowObjectsJS());
  con.closeSync();
  plainDb.closeSync();
  await get();
  const uncached = await timed(N, async () => {
    od.productCalls.clearCache();
    await get();
  });
  report('template SQL on plain DuckDB, p50', ms(pct(plain, 0.5)));
  report(
    'uncached call over HTTP, p50',
    ms(pct(uncached, 0.5)),
    `${(pct(uncached, 0.5) / pct(plain, 0.5)).toFixed(1)}× plain DuckDB; goal ≤ 2× + 10 ms = ${ms(2 * pct(plain, 0.5) + 10)}`,
  );
  report('uncached call over HTTP, p95', ms(pct(uncached, 0.95)));

  // 2. cached call vs a bare fastify route.
  const bare = Fastify();
  bare.get('/x', async () => ({ ok: true }));
  const bareBase = await bare.listen({ port: 0, host: '127.0.0.1' });
  const floor = await timed(N, async () => (await fetch(`${bareBase}/x`)).arrayBuffer());
  const cached = await timed(N, get);
  report('bare fastify route over HTTP, p50', ms(pct(floor, 0.5)));
  report('cached call over HTTP, p50', ms(pct(cached, 0.5)), `${(pct(cached, 0.5) / pct(floor, 0.5)).toFixed(1)}× a bare route; goal ≤ 10 ms`);
  await bare.close();

  // 3. a sustained rate; every call must leave its audit entry.
  const calls = () => [...od.ctx.audit.entries()].filter((e) => e.kind === 'PRODUCT_CALL').length;
  const before = calls();
  const answeredBefore = answered;
  const result = await autocannon({ url, headers, connections: 16, duration: SECONDS, overallRate: RATE });
  // Calls still in flight when the generator stopped are answered (and audited) a moment later.
  await new Promise((r) => setTimeout(r, 500));
  const served = answered - answeredBefore;
  const logged = calls() - before;
  const seen = result['2xx'] + result.non2xx;
  report(
    `sustained ${RATE} calls/s for ${SECONDS} s: calls answered`,
    `${seen} seen by the generator (${result['2xx']} ok, ${result.non2xx} refused, ${result.errors} errors, ${result.timeouts} timeouts)`,
    `${(seen / SECONDS).toFixed(0)} calls/s`,
  );
  report('sustained: latency p50 / p99', `${result.latency.p50} / ${result.latency.p99} ms`, 'goal p99 ≤ 100 ms');
  report('sustained: audit entries for the calls the gateway answered', `${logged} of ${served}`, logged === served ? 'none lost' : 'MISMATCH');
  const verify = await od.ctx.audit.verify([od.ctx.domainKey.publicJwk]);
  report('audit log verifies after the run', String(verify.ok), `${verify.entries} entries`);

  await app.close();
  await od.close();
  console.log(
    `\nbench:products — scale ${SCALE} people, ${N} sequential calls, ${RATE}/s for ${SECONDS} s (node ${process.version}, ${new Date().toISOString()})\n`,
  );
  console.log('| what | value | against the floor |');
  console.log('| --- | --- | --- |');
  for (const [a, b, c] of rows) console.log(`| ${a} | ${b} | ${c} |`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
