// Benchmarks, side by side with plain DuckDB in the same run, reported as ratios.
//   npm run bench                 (scale 200000 people)
//   npm run bench -- --scale 1000000
// 1. masked load: the tenant build's masking CTAS vs a plain CREATE TABLE AS SELECT * of the same rows;
//    and the full build (prod + dev sample + leak check).
// 2. a query: plain DuckDB in this process vs the SQL gate + locked-down connection in this
//    process vs a whole sandboxed job (warm worker, isolate, audit) through the core.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { CATALOG, generateSampleData } from '../datasets/index.ts';
import { buildTenantFiles, compileDataset, resolvePolicy, scopeKeyHex, quoteIdent } from '../masking/index.ts';
import { checkQuery, openLockedDown, DEFAULT_LIMITS } from '../sandbox/index.ts';
import { Opdomain, setupDemo } from '../gateway/index.ts';
import { timedCtas } from './ctas.ts';

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};
const SCALE = arg('scale', 200_000);
const REPEAT = arg('repeat', 5);
const dir = mkdtempSync(join(tmpdir(), 'opdomain-bench-'));
const raw = join(dir, 'raw.duckdb');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;
const time = async (fn: () => Promise<unknown>) => {
  const t = performance.now();
  await fn();
  return performance.now() - t;
};
const rows: [string, string, string][] = [];
const report = (what: string, ms: number, base?: number) => {
  rows.push([what, `${ms.toFixed(1)} ms`, base ? `${(ms / base).toFixed(2)}×` : '1.00× (baseline)']);
  console.error(`${what}: ${ms.toFixed(1)} ms${base ? ` (${(ms / base).toFixed(2)}×)` : ''}`);
};

const QUERY = `SELECT p.county_code, count(DISTINCT p.id_card) AS people, round(avg(s.base_amount), 2) AS avg_base
  FROM population p JOIN social_insurance s ON s.id_card = p.id_card WHERE s.month = '2024-06' GROUP BY p.county_code ORDER BY 1`;

try {
  console.error(`generating ${SCALE} people …`);
  const genMs = await time(() => generateSampleData(raw, { scale: SCALE }));
  const counts = await (async () => {
    const i = await DuckDBInstance.create(raw, { access_mode: 'READ_ONLY' });
    const c = await i.connect();
    const r = (await c.runAndReadAll(`SELECT ${CATALOG.map((d) => `(SELECT count(*) FROM ${d.id})::BIGINT AS ${d.id}`).join(', ')}`)).getRowObjectsJS()[0]!;
    c.closeSync();
    i.closeSync();
    return r;
  })();
  const totalRows = Object.values(counts).reduce((a: number, b) => a + Number(b), 0);
  console.error(`generated ${totalRows} rows in ${genMs.toFixed(0)} ms (${Math.round(totalRows / (genMs / 1000))} rows/s)`);
  // Baseline for generation: plain DuckDB writing the same number of rows of similar width from range(N).
  const plainGenMs = await (async () => {
    const path = join(dir, 'range.duckdb');
    const inst = await DuckDBInstance.create(path, { threads: '2' });
    const con = await inst.connect();
    const ms = await time(async () => {
      await con.run(
        `CREATE TABLE t AS SELECT range AS id, 'v' || range AS a, range % 97 AS b, (range * 1.5)::DOUBLE AS c, DATE '2024-01-01' + (range % 365)::INTEGER AS d, range % 2 = 0 AS e FROM range(${totalRows})`,
      );
      await con.run('CHECKPOINT');
    });
    con.closeSync();
    inst.closeSync();
    rmSync(path, { force: true });
    return ms;
  })();
  report(`generate: plain CREATE TABLE AS SELECT … FROM range(${totalRows}), 6 columns`, plainGenMs);
  report(`generate: the four sample datasets (${totalRows} rows, valid IDs, linked)`, genMs, plainGenMs);

  // 1. Masked load vs plain CTAS, alternating, fresh files each time.
  const policy = resolvePolicy(CATALOG.map((d) => ({ dataset: d.id })));
  const key = 'ab'.repeat(32);
  const ctx = { scopeKeyHex: (s: string) => scopeKeyHex(key, s) };
  const ctas = (masked: boolean, n: number) =>
    timedCtas(
      dir,
      raw,
      policy.datasets.map((dp) => ({
        name: dp.dataset,
        select: masked ? compileDataset(dp, `raw.${quoteIdent(dp.dataset)}`, ctx) : `SELECT * FROM raw.${quoteIdent(dp.dataset)}`,
      })),
      `${masked ? 'm' : 'p'}${n}`,
    );
  const plain: number[] = [];
  const masked: number[] = [];
  for (let n = 0; n < 3; n++) {
    plain.push(await ctas(false, n));
    masked.push(await ctas(true, n));
  }
  const fullBuild = await time(() =>
    buildTenantFiles({
      rawPath: raw,
      prodPath: join(dir, 't', 'prod.duckdb'),
      devPath: join(dir, 't', 'dev.duckdb'),
      policy,
      tenantKeyHex: key,
      devSamplePercent: 10,
    }),
  );
  report(`load: plain CREATE TABLE AS SELECT * (${totalRows} rows, 4 tables)`, median(plain));
  report('load: masked CREATE TABLE AS SELECT <masking expressions>', median(masked), median(plain));
  report('load: full tenant build (masked prod + dev sample + leak check)', fullBuild, median(plain));

  // 2. A query: plain DuckDB vs gate + lockdown vs a whole sandboxed job.
  const prodPath = join(dir, 't', 'prod.duckdb');
  const plainInst = await DuckDBInstance.create(prodPath, { access_mode: 'READ_ONLY' });
  const plainCon = await plainInst.connect();
  const lockedInst = await openLockedDown(prodPath, DEFAULT_LIMITS);
  const lockedCon = await lockedInst.connect();
  const tables = new Set(CATALOG.map((d) => d.id));
  const qPlain: number[] = [];
  const qGate: number[] = [];
  for (let n = 0; n < REPEAT + 1; n++) {
    const a = await time(() => plainCon.runAndReadAll(QUERY));
    const b = await time(async () => {
      await checkQuery(lockedCon, QUERY, tables);
      await lockedCon.runAndReadAll(QUERY);
    });
    if (n > 0) {
      qPlain.push(a);
      qGate.push(b);
    }
  }
  const small = 'SELECT count(*) FROM population';
  const sPlain: number[] = [];
  const sGate: number[] = [];
  for (let n = 0; n < 51; n++) {
    const a = await time(() => plainCon.runAndReadAll(small));
    const b = await time(async () => {
      await checkQuery(lockedCon, small, tables);
      await lockedCon.runAndReadAll(small);
    });
    if (n > 0) {
      sPlain.push(a);
      sGate.push(b);
    }
  }
  plainCon.closeSync();
  plainInst.closeSync();
  lockedCon.closeSync();
  lockedInst.closeSync();
  report('query: income by county, plain DuckDB (host process)', median(qPlain));
  report('query: income by county, SQL gate + locked-down connection', median(qGate), median(qPlain));
  report('query: small count(*), plain DuckDB', median(sPlain));
  report('query: small count(*), SQL gate + locked-down connection', median(sGate), median(sPlain));

  // A whole job through the core (warm pool of 2): worker, isolate, gate, audit, outputs.
  const home = join(dir, 'home');
  const od = await Opdomain.open({ home, workerPool: 2 });
  await setupDemo(od, { scale: Math.min(SCALE, 50_000) });
  const alice = await od.principal({ as: 'alice' });
  const script = `output('income', await sql(\`${QUERY}\`))`;
  const jobMs: number[] = [];
  for (let n = 0; n < REPEAT + 1; n++) {
    const ms = await time(async () => {
      const r = await od.jobs.run(alice, { tenant: 'demo', env: 'prod', script });
      if (!r.ok) throw new Error(JSON.stringify(r.error));
    });
    if (n > 0) jobMs.push(ms);
    await new Promise((r) => setTimeout(r, 1500)); // let the pool refill, as between real jobs
  }
  rows.push(['job: whole sandboxed job, warm pool (p50 / p95, ≤50k people)', `${median(jobMs).toFixed(1)} / ${pct(jobMs, 0.95).toFixed(1)} ms`, '—']);

  // Job start to the script's first statement, warm pool.
  const firstMs: number[] = [];
  for (let n = 0; n < 21; n++) {
    const t0 = Date.now();
    const r = await od.jobs.run(alice, { tenant: 'demo', env: 'dev', script: "output('t', [{ t: Date.now() }])" });
    const first = Number(od.jobs.output(r.jobId, 't').rows[0]![0]);
    if (n > 0) firstMs.push(first - t0);
    await new Promise((res) => setTimeout(res, 1500));
  }
  rows.push(['job start → first script statement, warm pool (p50 / p95)', `${median(firstMs).toFixed(0)} / ${pct(firstMs, 0.95).toFixed(0)} ms`, '—']);

  // Gate + audit (IPC round trip, fsync'd append) per small query inside a job, vs the bare query.
  const perCall = await od.jobs.run(alice, {
    tenant: 'demo',
    env: 'prod',
    script:
      "await sql('SELECT count(*) FROM population'); const t = Date.now(); for (let i = 0; i < 100; i++) await sql('SELECT count(*) FROM population'); output('t', [{ ms: (Date.now() - t) / 100 }])",
  });
  const inJobMs = Number(od.jobs.output(perCall.jobId, 't').rows[0]![0]);
  rows.push(['query: small count(*) from a script (gate + audit + IPC), per call', `${inJobMs.toFixed(2)} ms`, `${(inJobMs / median(sPlain)).toFixed(1)}×`]);
  await od.close();

  // 1M rows × 6 columns into the isolate through sql.columns(), vs reading it in the host.
  const COLS_Q =
    'SELECT range::DOUBLE AS a, (range * 2)::DOUBLE AS b, (range % 7)::INTEGER AS c, (range / 3)::DOUBLE AS d, (range % 1000)::BIGINT AS e, (range * 0.5)::DOUBLE AS f FROM range(1000000)';
  const hostInst = await DuckDBInstance.create(prodPath, { access_mode: 'READ_ONLY', threads: '1' });
  const hostCon = await hostInst.connect();
  const hostApi: number[] = [];
  const hostVec: number[] = [];
  const { readColumns } = await import('../sandbox/columnar.ts');
  for (let n = 0; n < 4; n++) {
    const a = await time(async () => (await hostCon.runAndReadAll(COLS_Q)).getColumnsObjectJS());
    const b = await time(() => readColumns(hostCon, COLS_Q, [], 2_000_000));
    if (n > 0) {
      hostApi.push(a);
      hostVec.push(b);
    }
  }
  hostCon.closeSync();
  hostInst.closeSync();
  const { Supervisor, resolveLimits } = await import('../sandbox/index.ts');
  const sup = new Supervisor({ poolSize: 1 });
  const isoMs: number[] = [];
  for (let n = 0; n < 4; n++) {
    await new Promise((res) => setTimeout(res, 1500));
    const r = await sup.run(
      {
        jobId: `cols-${n}`,
        tenant: 'bench',
        env: 'prod',
        dbPath: prodPath,
        buildId: null,
        params: {},
        limits: resolveLimits({ maxResultBytes: 2_000_000_000 }),
        script: `const t = Date.now(); const c = await sql.columns(${JSON.stringify(COLS_Q)}); output('t', [{ ms: Date.now() - t, n: c.a.length }])`,
      },
      { onQuery: () => undefined },
    );
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    if (n > 0) isoMs.push(Number(r.outputs[0]!.rows[0]![0]));
  }
  await sup.close();
  report('columns: 1M rows × 6, host runAndReadAll + getColumnsObjectJS', median(hostApi));
  report('columns: 1M rows × 6, host reading vectors (our reader, no isolate)', median(hostVec), median(hostApi));
  report('columns: 1M rows × 6, into the isolate via sql.columns()', median(isoMs), median(hostApi));
  rows.push(['columns: sql.columns() vs host reading vectors', `—`, `${(median(isoMs) / median(hostVec)).toFixed(2)}×`]);

  console.log(`\nOpdomain bench — scale ${SCALE} people, ${totalRows} rows; node ${process.version}; ${new Date().toISOString()}\n`);
  console.log('| measure | time (median) | ratio to plain DuckDB |\n| --- | --- | --- |');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  console.log(`\nsample data generated at ${Math.round(totalRows / (genMs / 1000))} rows/s`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
