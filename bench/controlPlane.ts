// The control plane under load: audit appends per second and jobs per second, embedded (SQLite)
// and on PostgreSQL with one and two gateways, side by side with the floor (the `pg` client
// writing the same rows with no store in between) in one run.
//   OPDOMAIN_TEST_DATABASE_URL=postgres://… npm run bench:control
// Jobs are posted over loopback HTTP by autocannon (a trivial script: the control plane's cost,
// not DuckDB's); on PostgreSQL they go through the queue to two worker nodes.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { AuditLog, loadOrCreateSigningKey } from '../lineage/index.ts';
import { Opdomain, setupDemo } from '../services/index.ts';
import { ControlStore, PgStore, type Store } from '../store/index.ts';

const ADMIN_URL = process.env.OPDOMAIN_TEST_DATABASE_URL ?? process.env.OPDOMAIN_DATABASE_URL;
if (!ADMIN_URL) {
  console.error('set OPDOMAIN_TEST_DATABASE_URL to a PostgreSQL server where the bench may create databases');
  process.exit(2);
}
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const ROOT = join(import.meta.dirname, '..');
const dirs: string[] = [];
const dbs: string[] = [];

async function freshDb(): Promise<string> {
  const name = `opdomain_bench_${randomBytes(5).toString('hex')}`;
  const c = new pg.Client(ADMIN_URL);
  await c.connect();
  await c.query(`CREATE DATABASE ${name}`);
  await c.end();
  dbs.push(name);
  const u = new URL(ADMIN_URL!);
  u.pathname = `/${name}`;
  return u.toString();
}

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'opdomain-bench-cp-'));
  dirs.push(d);
  return d;
}

const event = (n: number) => ({
  kind: 'QUERY' as const,
  actor: 'alice',
  tenant: 'demo',
  subject: `job_${n >> 6}`,
  data: { env: 'prod', buildId: null, sqlHash: 'ab'.repeat(32), verdict: 'allowed', tables: ['population'], columns: [], rowCount: n },
});

/** Appends per second in batches of `batch` for SECONDS, in this process. */
function appendRate(store: Store, log: AuditLog, batch: number): number {
  let n = 0;
  const t = performance.now();
  while (performance.now() - t < SECONDS * 1000) {
    if (batch === 1) log.append(event(n));
    else log.appendMany(Array.from({ length: batch }, (_, k) => event(n + k)));
    n += batch;
  }
  void store;
  return n / ((performance.now() - t) / 1000);
}

/** The same appends from `procs` processes at once (gateways sharing one store): total per second. */
async function appendRateFrom(procs: number, address: string, batch: number, keys: string): Promise<number> {
  const code = `
    import { AuditLog, loadOrCreateSigningKey } from './lineage/index.ts';
    import { ControlStore, PgStore } from './store/index.ts';
    const a = ${JSON.stringify(address)};
    const store = a.startsWith('postgres') ? new PgStore(a) : new ControlStore(a);
    const log = new AuditLog(store, await loadOrCreateSigningKey(${JSON.stringify(keys)}, 'k'));
    const ev = (n) => ({ kind: 'QUERY', actor: 'alice', tenant: 'demo', subject: 'job_' + (n >> 6), data: { env: 'prod', sqlHash: 'ab'.repeat(32), verdict: 'allowed', rowCount: n } });
    let n = 0; const t = performance.now();
    while (performance.now() - t < ${SECONDS * 1000}) { log.appendMany(Array.from({ length: ${batch} }, (_, k) => ev(n + k))); n += ${batch}; }
    console.log(n / ((performance.now() - t) / 1000));
    store.close();`;
  const runs = Array.from(
    { length: procs },
    () =>
      new Promise<number>((resolve, reject) => {
        const p = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        p.stdout.on('data', (d) => (out += d));
        p.on('exit', (c) => (c === 0 ? resolve(Number(out.trim())) : reject(new Error(`appender exited ${c}`))));
      }),
  );
  return (await Promise.all(runs)).reduce((a, b) => a + b, 0);
}

/** The floor: the `pg` client inserting the same rows in multi-row statements, one transaction a batch. */
async function floorRate(url: string, batch: number): Promise<number> {
  const c = new pg.Client(url);
  await c.connect();
  await c.query(
    'CREATE TABLE floor (seq BIGINT PRIMARY KEY, at TEXT, kind TEXT, actor TEXT, tenant TEXT, subject TEXT, body TEXT, leaf_hash BYTEA, chain_hash BYTEA)',
  );
  let n = 0;
  const t = performance.now();
  const leaf = Buffer.alloc(32, 7);
  while (performance.now() - t < SECONDS * 1000) {
    await c.query('BEGIN');
    for (let i = 0; i < batch; i += 200) {
      const rows = Math.min(200, batch - i);
      const values: unknown[] = [];
      const places: string[] = [];
      for (let k = 0; k < rows; k++) {
        const s = n + i + k;
        places.push(
          `($${values.length + 1}, $${values.length + 2}, 'QUERY', 'alice', 'demo', $${values.length + 3}, $${values.length + 4}, $${values.length + 5}, $${values.length + 5})`,
        );
        values.push(s, new Date().toISOString(), `job_${s >> 6}`, JSON.stringify(event(s)), leaf);
      }
      await c.query(`INSERT INTO floor VALUES ${places.join(', ')}`, values);
    }
    await c.query('COMMIT');
    n += batch;
  }
  await c.end();
  return n / ((performance.now() - t) / 1000);
}

interface Started {
  readonly procs: ChildProcess[];
  readonly ports: number[];
}

function startProc(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, ['--no-node-snapshot', join(ROOT, 'bin', 'opdomain.js'), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
}

async function healthy(port: number): Promise<void> {
  for (let i = 0; i < 480; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return;
    } catch {
      // Not yet.
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`gateway on ${port} did not start`);
}

async function startDomain(home: string, url: string | undefined, gateways: number, nodes: number): Promise<Started & { token: string }> {
  const od = await Opdomain.open({ home, workerPool: 0, ...(url ? { databaseUrl: url } : {}) });
  const token = (await setupDemo(od, { scale: 3000 })).tokens.alice!;
  await od.close();
  // The load is one token's: the per-token request limit would measure itself.
  const env = { ...process.env, OPDOMAIN_RATE_LIMIT: '1000000', ...(url ? { OPDOMAIN_DATABASE_URL: url, OPDOMAIN_JOBS: nodes > 0 ? 'nodes' : 'here' } : {}) };
  const procs: ChildProcess[] = [];
  const ports: number[] = [];
  for (let g = 0; g < gateways; g++) {
    const port = 21000 + Math.floor(Math.random() * 20000);
    ports.push(port);
    procs.push(startProc(['serve', '--port', String(port), '--host', '127.0.0.1', '--home', home], env));
  }
  for (let n = 0; n < nodes; n++) procs.push(startProc(['node', '--id', `bench${n}`, '--home', home], env));
  await Promise.all(ports.map(healthy));
  return { procs, ports, token };
}

function stop(s: Started): void {
  for (const p of s.procs) {
    try {
      process.kill(-p.pid!, 'SIGKILL');
    } catch {
      // Gone.
    }
  }
}

/** Trivial dev jobs posted for SECONDS by autocannon against every gateway at once: jobs per second. */
async function jobRate(s: Started & { token: string }): Promise<{ perSecond: number; p50: number; errors: number }> {
  const body = JSON.stringify({ tenant: 'demo', env: 'dev', script: 'output("x", [{ a: 1 }]);' });
  const results = await Promise.all(
    s.ports.map((port) =>
      autocannon({
        url: `http://127.0.0.1:${port}/api/jobs`,
        method: 'POST',
        connections: 4,
        duration: SECONDS,
        headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' },
        body,
      }),
    ),
  );
  const ok = results.reduce((a, r) => a + r['2xx'], 0);
  return {
    perSecond: ok / SECONDS,
    p50: Math.max(...results.map((r) => r.latency.p50)),
    errors: results.reduce((a, r) => a + r.non2xx + r.errors, 0),
  };
}

const fmt = (n: number) => Math.round(n).toLocaleString('en');
try {
  const rows: string[] = [];
  const keys = tempDir();
  const key = await loadOrCreateSigningKey(keys, 'k');

  // Audit appends, one process.
  const sqliteFile = join(tempDir(), 'control.sqlite');
  const sqlite = new ControlStore(sqliteFile);
  const pgUrl = await freshDb();
  const pgStore = new PgStore(pgUrl);
  for (const batch of [1, 100, 1000]) {
    const a = appendRate(sqlite, new AuditLog(sqlite, key), batch);
    const b = appendRate(pgStore, new AuditLog(pgStore, key), batch);
    const floor = batch === 1 ? undefined : await floorRate(await freshDb(), batch);
    rows.push(
      `| audit appends/s, ${batch === 1 ? 'one per transaction' : `batches of ${batch}`}, one process | ${fmt(a)} | ${fmt(b)} | ${floor ? `${fmt(floor)} (store ${(b / floor).toFixed(2)}× the floor)` : '—'} |`,
    );
  }
  sqlite.close();
  pgStore.close();
  // Two processes (two gateways) appending to one log at once.
  const two = [await appendRateFrom(2, join(tempDir(), 'control.sqlite'), 1000, keys), await appendRateFrom(2, await freshDb(), 1000, keys)];
  const one = [await appendRateFrom(1, join(tempDir(), 'control.sqlite'), 1000, keys), await appendRateFrom(1, await freshDb(), 1000, keys)];
  rows.push(`| audit appends/s, batches of 1000, one gateway process | ${fmt(one[0]!)} | ${fmt(one[1]!)} | |`);
  rows.push(`| audit appends/s, batches of 1000, two gateway processes at once (total) | ${fmt(two[0]!)} | ${fmt(two[1]!)} | |`);

  // Jobs over HTTP.
  const embedded = await startDomain(tempDir(), undefined, 1, 0);
  const e = await jobRate(embedded);
  stop(embedded);
  const pg1 = await startDomain(tempDir(), await freshDb(), 1, 2);
  const p1 = await jobRate(pg1);
  stop(pg1);
  const pg2 = await startDomain(tempDir(), await freshDb(), 2, 2);
  const p2 = await jobRate(pg2);
  stop(pg2);
  rows.push(
    `| jobs/s (trivial dev job over HTTP, 4 connections a gateway), embedded: one gateway running its own jobs | ${e.perSecond.toFixed(1)} (p50 ${e.p50} ms, ${e.errors} errors) | | |`,
  );
  rows.push(`| jobs/s, PostgreSQL: one gateway, two worker nodes (queue) | | ${p1.perSecond.toFixed(1)} (p50 ${p1.p50} ms, ${p1.errors} errors) | |`);
  rows.push(`| jobs/s, PostgreSQL: two gateways, two worker nodes (queue) | | ${p2.perSecond.toFixed(1)} (p50 ${p2.p50} ms, ${p2.errors} errors) | |`);

  console.log(
    `\ncontrol plane — ${new Date().toISOString()}, node ${process.version}, ${SECONDS} s a measure\n\n| measure | SQLite (embedded) | PostgreSQL | floor: bare pg client |\n| --- | --- | --- | --- |\n${rows.join('\n')}`,
  );
} finally {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  const c = new pg.Client(ADMIN_URL);
  await c.connect();
  for (const name of dbs) await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
  await c.end();
}
