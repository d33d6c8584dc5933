// Several processes on one PostgreSQL control plane, as a province would run them: two gateways
// (jobs go to nodes through the queue) and two worker nodes, real processes on loopback. Jobs and
// export votes are spread over both gateways; a worker node is killed with SIGKILL in the middle
// of a job and a gateway in the middle of a request. What was acknowledged survives, the log
// verifies, the dead node's job ends with JOB_NODE_LOST, and the rest keep running.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Opdomain, setupDemo } from '../gateway/index.ts';
import { freshDatabase, postgresAvailable } from './postgres.ts';
import { INCOME_MANIFEST, INCOME_SCRIPT, tempHome, TEST_SCALE } from './helpers.ts';

const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'opdomain.js');
const LEASE_MS = 1500;

interface Proc {
  readonly name: string;
  readonly child: ChildProcess;
  log: string;
}

const run = postgresAvailable();
if (!run) console.warn('multi-node: OPDOMAIN_TEST_DATABASE_URL is not set; skipped');

describe.runIf(run)('two gateways and two worker nodes on one PostgreSQL', () => {
  const home = tempHome('opdomain-multinode-');
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let tokens: Record<string, string>;
  const procs = new Map<string, Proc>();
  const ports: Record<string, number> = {};

  const env = () => ({ ...process.env, OPDOMAIN_DATABASE_URL: db.url, OPDOMAIN_JOBS: 'nodes', OPDOMAIN_HOME: home.dir });
  const start = (name: string, args: string[]) => {
    // A group of its own: killing it takes the launcher, the runtime and its sandbox workers, as a lost machine would.
    const child = spawn(process.execPath, ['--no-node-snapshot', BIN, ...args, '--home', home.dir], {
      env: env(),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const p: Proc = { name, child, log: '' };
    child.stdout!.on('data', (d) => (p.log += d));
    child.stderr!.on('data', (d) => (p.log += d));
    procs.set(name, p);
    return p;
  };
  const kill = (name: string) => process.kill(-procs.get(name)!.child.pid!, 'SIGKILL');
  const startGateway = async (name: string) => {
    const port = 20000 + Math.floor(Math.random() * 20000);
    ports[name] = port;
    start(name, ['serve', '--port', String(port), '--host', '127.0.0.1']);
    for (let i = 0; i < 240; i++) {
      try {
        if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return;
      } catch {
        // Not listening yet.
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`gateway ${name} did not start: ${procs.get(name)!.log}`);
  };
  const startNode = async (name: string, extra: string[] = []) => {
    const p = start(name, ['node', '--id', name, '--lease-ms', String(LEASE_MS), ...extra]);
    for (let i = 0; i < 240 && !p.log.includes('"node"'); i++) await new Promise((r) => setTimeout(r, 250));
    if (!p.log.includes('"node"')) throw new Error(`node ${name} did not start: ${p.log}`);
  };
  const call = async (gateway: string, method: string, path: string, who: string, body?: unknown) => {
    const r = await fetch(`http://127.0.0.1:${ports[gateway]}${path}`, {
      method,
      headers: { authorization: `Bearer ${tokens[who]}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: r.status, body: (await r.json()) as Record<string, any> };
  };
  const job = (gateway: string, script: string, env: 'dev' | 'prod' = 'dev', extra: Record<string, unknown> = {}) =>
    call(gateway, 'POST', '/api/jobs', 'alice', { tenant: 'demo', env, script, params: { month: '2024-03' }, ...extra });
  const sql = async <T>(text: string, ...params: unknown[]): Promise<T[]> => {
    const pg = (await import('pg')).default;
    const c = new pg.Client(db.url);
    await c.connect();
    try {
      return (await c.query(text, params)).rows as T[];
    } finally {
      await c.end();
    }
  };

  beforeAll(async () => {
    db = await freshDatabase();
    const od = await Opdomain.open({ home: home.dir, databaseUrl: db.url, workerPool: 0 });
    tokens = (await setupDemo(od, { scale: TEST_SCALE })).tokens;
    await od.close();
    await Promise.all([startGateway('gw1'), startGateway('gw2'), startNode('n1'), startNode('n2', ['--files', join(home.dir, 'n2-files')])]);
  }, 240_000);

  afterAll(async () => {
    for (const p of procs.values()) {
      try {
        process.kill(-p.child.pid!, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await db?.drop();
    home.cleanup();
  });

  it('spreads jobs over both gateways and both nodes', async () => {
    const replies = await Promise.all(Array.from({ length: 8 }, (_, i) => job(i % 2 ? 'gw2' : 'gw1', INCOME_SCRIPT)));
    for (const r of replies) expect(r.body, JSON.stringify(r.body)).toMatchObject({ ok: true, env: 'dev' });
    expect(replies[0]!.body.outputs[0]).toMatchObject({ name: 'income_by_county' });
    const ids = replies.map((r) => r.body.jobId as string);
    const rows = await sql<{ node: string; state: string }>('SELECT node, state FROM jobs WHERE id = ANY($1)', ids);
    expect(rows.every((r) => r.state === 'completed')).toBe(true);
    expect(new Set(rows.map((r) => r.node))).toEqual(new Set(['n1', 'n2']));
  });

  it('takes an export request on one gateway and its two votes on both', async () => {
    const prod = await job('gw2', INCOME_SCRIPT, 'prod', { manifest: INCOME_MANIFEST });
    expect(prod.body, JSON.stringify(prod.body)).toMatchObject({ ok: true, env: 'prod' });
    const req = await call('gw1', 'POST', '/api/exports', 'alice', { jobId: prod.body.jobId, output: 'income_by_county', scenario: 'public-statistics' });
    expect(req.status, JSON.stringify(req.body)).toBe(201);
    const first = await call('gw1', 'POST', `/api/exports/${req.body.id}/approve`, 'bob', {});
    expect(first.body.state).toBe('in_review');
    const second = await call('gw2', 'POST', `/api/exports/${req.body.id}/approve`, 'carol', {});
    expect(second.body.state).toBe('released');
    const votes = await sql<{ reviewer: string }>('SELECT reviewer FROM votes WHERE request_id = $1 ORDER BY reviewer', req.body.id);
    expect(votes.map((v) => v.reviewer)).toEqual(['bob', 'carol']);
  });

  it('a worker node killed mid-job: its job ends as JOB_NODE_LOST, the other node goes on', async () => {
    const admin = async (node: string) => call('gw1', 'PUT', '/api/tenants/demo/placement', 'ada', { node });
    expect((await admin('n1')).status).toBe(200);
    const busy = 'const t = Date.now(); while (Date.now() - t < 8000) {} output("x", [{ a: 1 }]);';
    const pending = job('gw2', busy);
    let running: { id: string }[] = [];
    for (let i = 0; i < 200 && running.length === 0; i++) {
      running = await sql<{ id: string }>("SELECT id FROM jobs WHERE state = 'running' AND node = 'n1'");
      if (running.length === 0) await new Promise((r) => setTimeout(r, 50));
    }
    expect(running).toHaveLength(1);
    kill('n1');
    const lost = await pending;
    expect(lost.body).toMatchObject({ ok: false, jobId: running[0]!.id, error: { code: 'JOB_NODE_LOST' } });
    const [row] = await sql<{ state: string; error_code: string }>('SELECT state, error_code FROM jobs WHERE id = $1', running[0]!.id);
    expect(row).toEqual({ state: 'failed', error_code: 'JOB_NODE_LOST' });
    // The administrator moves the authorization to the live node; its jobs run again.
    expect((await admin('n2')).status).toBe(200);
    const after = await job('gw1', INCOME_SCRIPT);
    expect(after.body).toMatchObject({ ok: true });
    // n2 keeps files of its own: it ran on its copy of demo's file, verified by sha256.
    const { createHash } = await import('node:crypto');
    const { readFileSync } = await import('node:fs');
    const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
    expect(sha(join(home.dir, 'n2-files', 'demo', 'dev.duckdb'))).toBe(sha(join(home.dir, 'tenants', 'demo', 'dev.duckdb')));
    const nodes = await call('gw2', 'GET', '/api/nodes', 'ada');
    const live = Object.fromEntries(nodes.body.nodes.map((n: { id: string; live: boolean }) => [n.id, n.live]));
    expect(live).toMatchObject({ n1: false, n2: true });
  });

  it('a cancel sent to one gateway reaches the node that runs the job', async () => {
    const busy = 'const t = Date.now(); while (Date.now() - t < 8000) {} output("x", [{ a: 1 }]);';
    const pending = job('gw2', busy);
    let running: { id: string; node: string }[] = [];
    for (let i = 0; i < 200 && running.length === 0; i++) {
      running = await sql<{ id: string; node: string }>("SELECT id, node FROM jobs WHERE state = 'running'");
      if (running.length === 0) await new Promise((r) => setTimeout(r, 50));
    }
    expect(running).toHaveLength(1);
    const cancel = await call('gw1', 'POST', `/api/jobs/${running[0]!.id}/cancel`, 'alice', {});
    expect(cancel.status).toBe(200);
    // Had the flag not reached the node, the script would have completed.
    expect((await pending).body).toMatchObject({ ok: false, jobId: running[0]!.id, error: { code: 'JOB_CANCELLED' } });
  });

  it('a gateway killed mid-request: what was acknowledged survives, the log verifies, the other gateway serves', async () => {
    const acknowledged: string[] = [];
    const inflight = Array.from({ length: 6 }, (_, i) =>
      job(i % 2 ? 'gw2' : 'gw1', INCOME_SCRIPT)
        .then((r) => {
          if (r.body.ok) acknowledged.push(r.body.jobId);
        })
        .catch(() => undefined),
    );
    await new Promise((r) => setTimeout(r, 150));
    kill('gw2');
    await Promise.all(inflight);
    expect(acknowledged.length).toBeGreaterThanOrEqual(3);
    const rows = await sql<{ id: string; state: string }>('SELECT id, state FROM jobs WHERE id = ANY($1)', acknowledged);
    expect(rows.map((r) => r.state).sort()).toEqual(acknowledged.map(() => 'completed'));
    // Jobs the killed gateway had admitted still ran to their end on a node.
    let open = 1;
    for (let i = 0; i < 100 && open > 0; i++) {
      open = (await sql<{ n: number }>("SELECT count(*)::int AS n FROM jobs WHERE state IN ('queued', 'running')"))[0]!.n;
      if (open > 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(open).toBe(0);
    const before = (await sql<{ n: number }>('SELECT count(*)::int AS n FROM audit'))[0]!.n;
    const verify = await call('gw1', 'POST', '/api/lineage/verify', 'sam');
    const seqs = (await sql<{ seq: string }>('SELECT seq FROM audit ORDER BY seq')).map((r) => Number(r.seq));
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    // The verifying call's own sign-in may be the one entry more.
    expect(verify.body.ok).toBe(true);
    expect(verify.body.entries).toBeGreaterThanOrEqual(before);
    expect((await job('gw1', INCOME_SCRIPT)).body).toMatchObject({ ok: true });
  });
});
