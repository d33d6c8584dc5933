// Risk stops (R19, R29), by attack on who may act and on the table: a stop halts a running job
// within a second and holds new ones until the authority resolves it; the person who raised it
// never resolves it; steps outside the table are refused with nothing written.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RISK_TRANSITIONS } from '../authority/index.ts';
import type { Opdomain, Principal } from '../gateway/index.ts';
import { demoDomainWithApp } from './helpers.ts';

let d: Awaited<ReturnType<typeof demoDomainWithApp>>;
let od: Opdomain;
let app: FastifyInstance;
let alice: Principal, bob: Principal, sam: Principal, ada: Principal;

beforeAll(async () => {
  d = await demoDomainWithApp();
  ({ od, app } = d);
  [alice, bob, sam, ada] = await Promise.all(['alice', 'bob', 'sam', 'ada'].map((as) => od.principal({ as })));
}, 180_000);
afterAll(() => d?.close());

const REASON = 'a join of claims and insurance reveals employers of single patients';

describe('risk stops', () => {
  it('an operator raises one: her running job halts within a second, the next is held, until the authority resolves it', async () => {
    const running = od.jobs.run(alice, { tenant: 'demo', env: 'dev', script: 'while (true) {}' });
    await new Promise((r) => setTimeout(r, 800));
    const t0 = Date.now();
    const stop = od.risks.raise(alice, 'demo', REASON);
    const ended = await running;
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(ended.error!.code).toBe('JOB_CANCELLED');
    expect(stop.stoppedJobs).toEqual([ended.jobId]);
    expect(stop).toMatchObject({ state: 'open', raisedBy: 'alice', actions: [] });
    await expect(od.jobs.run(alice, { tenant: 'demo', env: 'dev', script: "output('o', [{ a: 1 }])" })).rejects.toMatchObject({ code: 'RISK_STOP_ACTIVE' });
    // Who may act: not the operator, not a reviewer; security or an administrator.
    expect(() => od.risks.decide(alice, stop.id, 'resolve', 'we looked and it is fine')).toThrow(expect.objectContaining({ code: 'FORBIDDEN_ROLE' }));
    expect(() => od.risks.decide(bob, stop.id, 'resolve', 'we looked and it is fine')).toThrow(expect.objectContaining({ code: 'FORBIDDEN_ROLE' }));
    expect(od.risks.get(sam, stop.id).actions).toEqual(['resolve', 'dismiss']);
    expect(() => od.risks.decide(sam, stop.id, 'resolve', 'short')).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
    const done = od.risks.decide(sam, stop.id, 'resolve', 'the join was removed from the script; the scenario is narrowed');
    expect(done).toMatchObject({ state: 'resolved', decidedBy: 'sam' });
    expect((await od.jobs.run(alice, { tenant: 'demo', env: 'dev', script: "output('o', [{ a: 1 }])" })).ok).toBe(true);
  }, 60_000);

  it('nobody resolves a stop they raised, and a step outside the table is refused with nothing written', () => {
    const stop = od.risks.raise(sam, 'demo', REASON);
    expect(() => od.risks.decide(sam, stop.id, 'dismiss', 'not a risk after all, closing')).toThrow(
      expect.objectContaining({ code: 'FORBIDDEN_ROLE', message: expect.stringMatching(/raised/) }),
    );
    od.risks.decide(ada, stop.id, 'dismiss', 'not a risk after all, closing');
    const before = od.lineage.entries(sam, { kind: 'RISK_STOP_CHANGED' }).length;
    for (const action of ['resolve', 'dismiss'] as const) {
      expect(() => od.risks.decide(ada, stop.id, action, 'once more, to see what happens')).toThrow(expect.objectContaining({ code: 'RISK_STOP_TRANSITION' }));
    }
    expect(od.lineage.entries(sam, { kind: 'RISK_STOP_CHANGED' }).length).toBe(before);
    expect(od.risks.get(ada, stop.id).state).toBe('dismissed');
    // The table is all there is: only open stops and the domain's reports move.
    expect(RISK_TRANSITIONS.every(([from]) => from === 'open' || from === 'reported')).toBe(true);
  });

  it('an operator cannot raise one on another authorization, and sees only her own', async () => {
    expect(() => od.risks.raise(alice, 'other', REASON)).toThrow(expect.objectContaining({ code: 'FORBIDDEN_TENANT' }));
    expect(() => od.risks.raise(bob, 'demo', REASON)).toThrow(expect.objectContaining({ code: 'FORBIDDEN_ROLE' }));
    expect(od.risks.list(alice).every((s) => s.tenant === 'demo')).toBe(true);
  });

  it('the same over HTTP', async () => {
    const call = async (method: 'GET' | 'POST', url: string, who: string, payload?: object) => {
      const res = await app.inject({ method, url, headers: { authorization: `Bearer ${d.setup.tokens[who]}` }, ...(payload ? { payload } : {}) });
      return { status: res.statusCode, body: res.json() };
    };
    const raised = await call('POST', '/api/tenants/demo/risk-stops', 'alice', { reason: REASON });
    expect(raised.status).toBe(201);
    expect((await call('POST', '/api/jobs', 'alice', { tenant: 'demo', env: 'dev', script: "output('o', [{ a: 1 }])" })).body.error.code).toBe(
      'RISK_STOP_ACTIVE',
    );
    expect((await call('POST', `/api/risk-stops/${raised.body.id}/resolve`, 'alice', { resolution: 'it was nothing at all' })).body.error.code).toBe(
      'FORBIDDEN_ROLE',
    );
    expect((await call('POST', `/api/risk-stops/${raised.body.id}/resolve`, 'ada', { resolution: 'reviewed with the operator; resumed' })).body.state).toBe(
      'resolved',
    );
    expect((await call('GET', '/api/risk-stops', 'sam')).body.riskStops.length).toBeGreaterThan(0);
  });

  it('the domain raises a risk report itself when the gate’s refusals add up to a pattern, once; it holds processing only once security staff confirm it', async () => {
    const { RISK_PATTERNS } = await import('../authority/index.ts');
    const pattern = RISK_PATTERNS.find((x) => x.id === 'query_refusals')!;
    // One job whose every query the gate refuses, enough of them to reach the threshold.
    const probe = `for (let i = 0; i < ${pattern.threshold}; i++) { try { await sql("SELECT * FROM read_csv('/etc/passwd')"); } catch {} } output('o', [{ a: 1 }]);`;
    expect((await od.jobs.run(alice, { tenant: 'demo', env: 'dev', script: probe })).ok).toBe(true);
    const raised = od.risks.list(sam, 'demo').filter((r) => r.raisedBy === 'system' && r.state === 'reported');
    expect(raised).toHaveLength(1);
    expect(raised[0]!.reason).toMatch(/refused by the SQL gate/);
    expect(raised[0]!.actions).toEqual(['confirm', 'dismiss']);
    expect(
      od.supervision
        .overview(sam)
        .domains.find((x) => x.id === 'demo')!
        .flags.join(' '),
    ).toMatch(/risk report/);
    // A report alone holds nothing (a pattern outsiders can trigger is no switch to halt an operator).
    expect((await od.jobs.run(alice, { tenant: 'demo', env: 'dev', script: "output('o', [{ a: 1 }])" })).ok).toBe(true);
    // The refusals it counted do not raise another.
    expect(
      (
        await od.jobs.run(alice, {
          tenant: 'demo',
          env: 'dev',
          script: "try { await sql(\"SELECT * FROM read_csv('/x')\"); } catch {} output('o', [{ a: 1 }]);",
        })
      ).ok,
    ).toBe(true);
    expect(od.risks.list(sam, 'demo').filter((r) => r.raisedBy === 'system')).toHaveLength(1);
    // Confirmed, it stops and holds like any stop, until resolved; the operator decides neither.
    expect(() => od.risks.decide(alice, raised[0]!.id, 'confirm', 'I confirm my own probing')).toThrow(expect.objectContaining({ code: 'FORBIDDEN_ROLE' }));
    expect(od.risks.decide(sam, raised[0]!.id, 'confirm', 'the probing is real: stop until the analyst is retrained').state).toBe('open');
    await expect(od.jobs.run(alice, { tenant: 'demo', env: 'dev', script: "output('o', [{ a: 1 }])" })).rejects.toMatchObject({ code: 'RISK_STOP_ACTIVE' });
    od.risks.decide(ada, raised[0]!.id, 'resolve', 'the analyst was retrained; table names come from the catalog now');
    expect((await od.jobs.run(alice, { tenant: 'demo', env: 'dev', script: "output('o', [{ a: 1 }])" })).ok).toBe(true);
    expect(od.lineage.entries(sam, { kind: 'RISK_STOP_RAISED' }).some((e) => e.actor === 'system' && e.data.pattern === 'query_refusals')).toBe(true);
  }, 120_000);
});
