// Regulated acts need a reason (services/reasons.ts): suspending, terminating, sealing or
// destroying an authorization; returning or rejecting an export request, a product version or an
// import; revoking a bundle, a version, a consumer, a key or a grant. Each is tried over HTTP
// without one, with an empty one, with only white space and with a reason of the wrong type:
// each is refused with its code, and nothing changes — no state, no audit entry.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../gateway/index.ts';
import { demoDomainWithApp, INCOME_SCRIPT } from '../helpers.ts';

let d: Awaited<ReturnType<typeof demoDomainWithApp>>;
let who: Record<string, Principal>;
const ROOT = new URL('../..', import.meta.url).pathname;

beforeAll(async () => {
  d = await demoDomainWithApp();
  who = Object.fromEntries(await Promise.all(['alice', 'bob', 'carol', 'ada', 'sam'].map(async (n) => [n, await d.od.principal({ as: n })] as const)));
}, 180_000);
afterAll(() => d?.close());

async function post(user: string, url: string, payload?: unknown): Promise<{ status: number; code?: string }> {
  const res = await d.app.inject({
    method: 'POST',
    url,
    headers: { authorization: `Bearer ${d.setup.tokens[user]}` },
    ...(payload !== undefined ? { payload: payload as object } : {}),
  });
  return { status: res.statusCode, code: (res.json() as { error?: { code: string } }).error?.code };
}

/** Every way of giving no reason; each must be refused and leave the log as it was. */
async function refusedWithoutReason(user: string, url: string, body: (reason: unknown) => unknown, field = 'reason'): Promise<void> {
  const attempts: [string, unknown][] = [
    ['no body', undefined],
    ['an empty object', {}],
    ['an empty reason', body('')],
    ['spaces and newlines', body('  \n\t ')],
    ['ideographic spaces', body('\u3000\u3000')],
  ];
  const before = d.od.ctx.audit.size();
  for (const [what, payload] of attempts) {
    const r = await post(user, url, payload);
    expect({ what, status: r.status, code: r.code }).toEqual({ what, status: 400, code: 'REASON_REQUIRED' });
  }
  const wrongType = await post(user, url, { [field]: 42 });
  expect(wrongType.status, 'a reason that is not text').toBe(400);
  // A token's first use in a process is audited as a sign-in; that is not the act.
  const after = d.od.ctx.audit
    .entries({ afterSeq: before })
    .map((e) => e.kind)
    .filter((k) => k !== 'SIGN_IN');
  expect(after, `${url}: a refused act left audit entries`).toEqual([]);
}

describe('regulated acts without a reason are refused, and change nothing', () => {
  it('suspending, terminating, sealing and destroying an authorization', async () => {
    for (const act of ['suspend', 'terminate', 'seal', 'destroy']) {
      await refusedWithoutReason('ada', `/api/tenants/demo/${act}`, (reason) => ({ reason }));
      expect(d.od.ctx.authorizations.get('demo').state).toBe('active');
    }
    // Resuming needs none; a suspension with one goes through and records it.
    expect((await post('ada', '/api/tenants/demo/suspend', { reason: 'quarterly drill' })).status).toBe(200);
    const ev = d.od.ctx.audit.entries({ subject: 'demo', newestFirst: true, limit: 1 })[0]!;
    expect(JSON.stringify(ev.data)).toContain('quarterly drill');
    expect((await post('ada', '/api/tenants/demo/resume')).status).toBe(200);
  });

  it('returning or rejecting an export request, and revoking its bundle', async () => {
    const job = await d.od.jobs.run(who.alice!, { tenant: 'demo', env: 'prod', script: INCOME_SCRIPT });
    expect(job.ok, JSON.stringify(job.error)).toBe(true);
    const req = await d.od.exports.request(who.alice!, { jobId: job.jobId, output: 'income_by_county' });
    const state = d.od.exports.get(who.sam!, req.id).state;
    for (const decision of ['return', 'reject']) {
      await refusedWithoutReason('bob', `/api/exports/${req.id}/${decision}`, (comment) => ({ comment }), 'comment');
      expect(d.od.exports.get(who.sam!, req.id).state).toBe(state);
      expect(d.od.exports.get(who.sam!, req.id).votes).toEqual([]);
    }
    // An approval may say nothing.
    expect((await post('bob', `/api/exports/${req.id}/approve`)).status).toBe(200);
    expect((await post('carol', `/api/exports/${req.id}/approve`, {})).status).toBe(200);
    expect(d.od.exports.get(who.sam!, req.id).state).toBe('released');
    await refusedWithoutReason('sam', `/api/exports/${req.id}/revoke`, (reason) => ({ reason }));
    expect(d.od.exports.get(who.sam!, req.id).state).toBe('released');
  });

  it('returning, rejecting and revoking a product version; revoking a consumer, a key and a grant', async () => {
    const spec = JSON.parse(readFileSync(`${ROOT}examples/product-people-by-county.json`, 'utf8'));
    const v = await d.od.products.propose(who.alice!, { ...spec, product: 'reasons-test' });
    const url = `/api/products/reasons-test/versions/${v.version}`;
    for (const decision of ['return', 'reject']) await refusedWithoutReason('bob', `${url}/${decision}`, (comment) => ({ comment }), 'comment');
    expect(d.od.products.row('reasons-test', v.version).state).toBe(v.state);
    expect((await post('bob', `${url}/approve`)).status).toBe(200);
    expect((await post('carol', `${url}/approve`)).status).toBe(200);
    expect(d.od.products.row('reasons-test', v.version).state).toBe('approved');
    await refusedWithoutReason('sam', `${url}/revoke`, (reason) => ({ reason }));
    expect(d.od.products.row('reasons-test', v.version).state).toBe('approved');

    d.od.consumers.add(who.ada!, { id: 'reasons-co', name: 'Reasons Co.' });
    const key = d.od.consumers.issueKey(who.ada!, 'reasons-co');
    const grant = d.od.consumers.grant(who.ada!, { consumer: 'reasons-co', product: 'reasons-test', version: v.version });
    await refusedWithoutReason('ada', `/api/keys/${key.keyId}/revoke`, (reason) => ({ reason }));
    await refusedWithoutReason('ada', `/api/grants/${grant.id}/revoke`, (reason) => ({ reason }));
    await refusedWithoutReason('ada', '/api/consumers/reasons-co/revoke', (reason) => ({ reason }));
    const consumer = d.od.consumers.list(who.ada!).find((c) => c.id === 'reasons-co')!;
    expect(consumer.state).toBe('active');
    expect(consumer.keys.every((k) => k.revokedAt === null)).toBe(true);
    expect(consumer.grants.every((g) => g.revokedAt === null)).toBe(true);
  });
});
