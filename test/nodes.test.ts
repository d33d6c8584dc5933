// Jobs as a queue and worker nodes, in one process on the embedded store (the multi-node test
// runs real processes on PostgreSQL): claims, placements, cancels of queued jobs, lost leases,
// and who may see and move what.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkerNode } from '../services/workerNode.ts';
import { demoDomain, INCOME_SCRIPT } from './helpers.ts';

type Domain = Awaited<ReturnType<typeof demoDomain>>;
let d: Domain;
const nodes: WorkerNode[] = [];

beforeAll(async () => {
  d = await demoDomain();
  d.od.jobs.queued = true;
});
afterAll(async () => {
  for (const n of nodes) await n.stop();
  await d?.close();
});

const as = (name: string) => d.od.principal({ as: name });
const run = async (script = INCOME_SCRIPT) => d.od.jobs.run(await as('alice'), { tenant: 'demo', env: 'dev', script, params: { month: '2024-03' } });
const state = (id: string) =>
  d.od.ctx.store.get<{ state: string; error_code: string | null; node: string | null }>('SELECT state, error_code, node FROM jobs WHERE id = ?', id)!;
const until = async (check: () => boolean) => {
  let done = check();
  for (let i = 0; i < 400 && !done; i++) {
    await new Promise((r) => setTimeout(r, 25));
    done = check();
  }
  expect(done).toBe(true);
};

describe('jobs as a queue', () => {
  it('a queued job waits for a node, and a cancel before any node takes it ends it without running', async () => {
    const pending = run();
    let id = '';
    await until(() => {
      id = d.od.ctx.store.get<{ id: string }>("SELECT id FROM jobs WHERE state = 'queued'")?.id ?? '';
      return id !== '';
    });
    const cancelled = d.od.jobs.cancel(await as('alice'), id);
    expect(cancelled.state).toBe('failed');
    expect(await pending).toMatchObject({ ok: false, jobId: id, error: { code: 'JOB_CANCELLED' } });
    expect(d.od.ctx.audit.entries({ subject: id }).map((e) => e.kind)).toEqual(['JOB_STARTED', 'JOB_CANCEL_REQUESTED', 'JOB_FINISHED']);
  });

  it('a node takes the job, runs it and the gateway answers from its record', async () => {
    nodes.push(d.od.startNode({ id: 'local-a', leaseMs: 2000 }));
    const r = await run();
    expect(r).toMatchObject({ ok: true, env: 'dev', outputs: [{ name: 'income_by_county' }] });
    expect(state(r.jobId)).toMatchObject({ state: 'completed', node: 'local-a' });
    expect(d.od.jobs.output(r.jobId, 'income_by_county').rows.length).toBe(r.outputs[0]!.rowCount);
  });

  it('a job whose node stops renewing its lease ends as JOB_NODE_LOST, with its end audited', async () => {
    const admin = await as('ada');
    await nodes.pop()!.stop();
    // A node that claims and then goes silent: its lease runs out.
    d.od.jobs.queue.registerNode({
      id: 'silent',
      host: 'h',
      pid: 1,
      kind: 'worker',
      started_at: 't',
      heartbeat_at: 't',
      lease_until: new Date(Date.now() + 50).toISOString(),
    });
    await d.od.nodes.place(admin, 'demo', 'silent');
    const pending = run();
    let claimed: { id: string } | undefined;
    await until(() => {
      claimed = d.od.jobs.queue.claim('silent', 50);
      return claimed !== undefined;
    });
    const reply = await pending;
    expect(reply).toMatchObject({ ok: false, jobId: claimed!.id, error: { code: 'JOB_NODE_LOST' } });
    expect(state(claimed!.id)).toMatchObject({ state: 'failed', error_code: 'JOB_NODE_LOST' });
    const end = d.od.ctx.audit.entries({ subject: claimed!.id, kind: 'JOB_FINISHED' });
    expect(end.map((e) => e.data)).toEqual([{ state: 'failed', code: 'JOB_NODE_LOST' }]);
  });

  it("a placed authorization's jobs go only to its node", async () => {
    const admin = await as('ada');
    nodes.push(d.od.startNode({ id: 'local-b', leaseMs: 2000 }));
    nodes.push(d.od.startNode({ id: 'local-c', leaseMs: 2000 }));
    await d.od.nodes.place(admin, 'demo', 'local-c');
    const replies = await Promise.all([run(), run(), run()]);
    expect(replies.map((r) => state(r.jobId).node)).toEqual(['local-c', 'local-c', 'local-c']);
    const placed = d.od.ctx.audit.entries({ kind: 'TENANT_PLACED' }).at(-1)!;
    expect(placed.data).toMatchObject({ node: 'local-c', from: 'silent' });
    expect(Object.keys(placed.data.files as object).sort()).toEqual(['dev', 'prod']);
  });

  it('a node with files of its own runs on a copy it verified by sha256, and copies again what changed', async () => {
    const { createHash } = await import('node:crypto');
    const { appendFileSync, mkdtempSync, readFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const admin = await as('ada');
    for (const n of nodes.splice(0)) await n.stop();
    const files = mkdtempSync(join(tmpdir(), 'opdomain-node-files-'));
    nodes.push(d.od.startNode({ id: 'local-d', leaseMs: 2000, filesDir: files }));
    await d.od.nodes.place(admin, 'demo', 'local-d');
    const hash = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
    const source = d.od.ctx.paths.tenantDb('demo', 'dev');
    const copy = join(files, 'demo', 'dev.duckdb');
    // Jobs that start together share one copy (the node runs two at once).
    const [first, alongside] = await Promise.all([run(), run()]);
    expect(first).toMatchObject({ ok: true });
    expect(alongside).toMatchObject({ ok: true });
    expect(hash(copy)).toBe(hash(source));
    // A copy changed on the node's disk is not used: the next job copies and verifies again.
    appendFileSync(copy, 'tampered');
    expect(hash(copy)).not.toBe(hash(source));
    const second = await run();
    expect(second).toMatchObject({ ok: true, outputs: first.outputs });
    expect(hash(copy)).toBe(hash(source));
    for (const n of nodes.splice(0)) await n.stop();
    nodes.push(d.od.startNode({ id: 'local-b', leaseMs: 2000 }));
    nodes.push(d.od.startNode({ id: 'local-c', leaseMs: 2000 }));
    await d.od.nodes.place(admin, 'demo', 'local-c');
  });

  it("a copy that does not hash like the domain's file is refused: the job ends NODE_COPY_MISMATCH and reads nothing", async () => {
    const { appendFile, copyFile } = await import('node:fs/promises');
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { TenantFileCopies } = await import('../services/tenantFiles.ts');
    const admin = await as('ada');
    for (const n of nodes.splice(0)) await n.stop();
    // A copy that arrives damaged (a bad disk, a partial transfer).
    const damaging = new TenantFileCopies(mkdtempSync(join(tmpdir(), 'opdomain-bad-copy-')), async (from, to) => {
      await copyFile(from, to);
      await appendFile(to, 'x');
    });
    nodes.push(d.od.startNode({ id: 'local-e', leaseMs: 2000, copies: damaging }));
    await d.od.nodes.place(admin, 'demo', 'local-e');
    const r = await run();
    expect(r).toMatchObject({ ok: false, error: { code: 'NODE_COPY_MISMATCH' } });
    expect(state(r.jobId)).toMatchObject({ state: 'failed', error_code: 'NODE_COPY_MISMATCH', node: 'local-e' });
    expect(d.od.ctx.audit.entries({ subject: r.jobId, kind: 'QUERY' })).toEqual([]);
    for (const n of nodes.splice(0)) await n.stop();
    nodes.push(d.od.startNode({ id: 'local-b', leaseMs: 2000 }));
    nodes.push(d.od.startNode({ id: 'local-c', leaseMs: 2000 }));
    await d.od.nodes.place(admin, 'demo', 'local-c');
  });

  it('refuses a move to no node, a move while jobs wait, and anyone but an administrator', async () => {
    const admin = await as('ada');
    await expect(d.od.nodes.place(admin, 'demo', 'nowhere')).rejects.toMatchObject({ code: 'NODE_NOT_FOUND' });
    for (const who of ['alice', 'bob', 'sam']) {
      const p = await as(who);
      await expect(d.od.nodes.place(p, 'demo', 'local-b')).rejects.toMatchObject({ code: 'FORBIDDEN_ROLE' });
    }
    for (const who of ['alice', 'bob']) {
      const p = await as(who);
      expect(() => d.od.nodes.list(p)).toThrow(expect.objectContaining({ code: 'FORBIDDEN_ROLE' }));
    }
    expect(d.od.nodes.list(await as('sam')).map((n) => n.id)).toEqual(expect.arrayContaining(['local-b', 'local-c']));
    // With the nodes stopped, a job waits in the queue: the authorization cannot move under it.
    for (const n of nodes.splice(0)) await n.stop();
    const pending = run();
    await until(() => d.od.ctx.store.get("SELECT 1 FROM jobs WHERE state = 'queued'") !== undefined);
    await expect(d.od.nodes.place(admin, 'demo', 'local-b')).rejects.toMatchObject({ code: 'PLACEMENT_BUSY' });
    nodes.push(d.od.startNode({ id: 'local-c', leaseMs: 2000 }));
    expect(await pending).toMatchObject({ ok: true });
    expect(await d.od.nodes.place(admin, 'demo', 'local-b')).toMatchObject({ tenant: 'demo', node: 'local-b' });
  });
});
