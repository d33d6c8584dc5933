// Replay: a deterministic job replays to MATCH; a job whose output was not deterministic is
// named in a MISMATCH; after the domain is destroyed the job can no longer be replayed, and
// the log still verifies.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoDomain, INCOME_SCRIPT } from './helpers.ts';

type Domain = Awaited<ReturnType<typeof demoDomain>>;
let d: Domain;
beforeAll(async () => {
  d = await demoDomain({ workerPool: 1 });
});
afterAll(async () => d?.close());

describe('lineage replay', () => {
  it('MATCH for a deterministic job, MISMATCH naming the output for one that is not, and audits both', async () => {
    const alice = await d.od.principal({ as: 'alice' });
    const sam = await d.od.principal({ as: 'sam' });
    const job = await d.od.jobs.run(alice, { tenant: 'demo', env: 'prod', script: INCOME_SCRIPT, params: { month: '2024-09' } });
    expect(job.ok).toBe(true);
    const match = await d.od.lineage.replay(sam, job.jobId);
    expect(match).toMatchObject({ result: 'MATCH', outputs: [{ name: 'income_by_county', match: true }] });

    const flaky = await d.od.jobs.run(alice, { tenant: 'demo', env: 'prod', script: "output('stable', [{ a: 1 }]); output('noisy', [{ x: Math.random() }])" });
    const mismatch = await d.od.lineage.replay(sam, flaky.jobId);
    expect(mismatch.result).toBe('MISMATCH');
    expect(mismatch.reason).toContain('noisy');
    expect(mismatch.outputs.find((o) => o.name === 'stable')?.match).toBe(true);

    await expect(d.od.lineage.replay(alice, job.jobId)).rejects.toMatchObject({ code: 'FORBIDDEN_ROLE' });
    const events = d.od.ctx.audit.entries({ kind: 'REPLAY' });
    expect(events.map((e) => e.data.result)).toEqual(['MATCH', 'MISMATCH']);
    expect(d.od.lineage.trace(sam, job.jobId, 'down').children.some((c) => c.node.id.startsWith('replay:'))).toBe(true);
  });

  it("a destroyed domain's jobs can no longer be replayed, and the log still proves what happened", async () => {
    const alice = await d.od.principal({ as: 'alice' });
    const sam = await d.od.principal({ as: 'sam' });
    const job = await d.od.jobs.run(alice, { tenant: 'demo', env: 'prod', script: INCOME_SCRIPT });
    d.od.ctx.authorizations.transition('demo', 'seal', 'ada', 'investigation');
    expect((await d.od.lineage.replay(sam, job.jobId)).result).toBe('MATCH'); // sealed: data kept, replay works
    d.od.ctx.authorizations.transition('demo', 'destroy', 'ada');
    const gone = await d.od.lineage.replay(sam, job.jobId);
    expect(gone).toMatchObject({ result: 'NOT_REPLAYABLE' });
    expect(gone.reason).toMatch(/destroyed/);
    expect((await d.od.lineage.verify(sam)).ok).toBe(true);
    expect(d.od.ctx.audit.entries({ subject: job.jobId, kind: 'OUTPUT_CREATED' }).length).toBe(1);
  });
});
