// Disabling a person (R22): an administrator stops someone from acting, with a reason. Every
// token of theirs is refused from the next call, whichever door it comes through; without a
// reason, by anyone but an administrator, or against oneself the act is refused and changes
// nothing. The lifecycle steps of an authorization come from the server's state table, by role.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TENANT_TRANSITIONS, tenantActions, type TenantState } from '../../domain/index.ts';
import { demoDomainWithApp } from '../helpers.ts';

let d: Awaited<ReturnType<typeof demoDomainWithApp>>;

beforeAll(async () => {
  d = await demoDomainWithApp();
}, 180_000);
afterAll(() => d?.close());

async function call(
  user: string,
  method: 'GET' | 'POST',
  url: string,
  payload?: object,
): Promise<{ status: number; code?: string; body: Record<string, unknown> }> {
  const res = await d.app.inject({ method, url, headers: { authorization: `Bearer ${d.setup.tokens[user]}` }, ...(payload !== undefined ? { payload } : {}) });
  const body = res.json() as Record<string, unknown> & { error?: { code: string } };
  return { status: res.statusCode, code: body.error?.code, body };
}
const acts = (kind: string) => d.od.ctx.audit.entries({ subject: 'alice' }).filter((e) => e.kind === kind);

describe('disabling a person', () => {
  it('is refused without a reason, by anyone but an administrator, and against oneself; nothing changes', async () => {
    const before = d.od.ctx.audit.size();
    for (const payload of [undefined, {}, { reason: '' }, { reason: ' \n ' }]) {
      expect((await call('ada', 'POST', '/api/people/alice/disable', payload)).code).toBe('REASON_REQUIRED');
    }
    for (const who of ['alice', 'bob', 'sam']) {
      expect((await call(who, 'POST', '/api/people/alice/disable', { reason: 'because' })).code).toBe('FORBIDDEN_ROLE');
    }
    expect((await call('ada', 'POST', '/api/people/ada/disable', { reason: 'testing' })).code).toBe('BAD_REQUEST');
    expect((await call('ada', 'POST', '/api/people/nobody/disable', { reason: 'testing' })).code).toBe('USER_NOT_FOUND');
    expect(d.od.ctx.audit.entries({ afterSeq: before }).filter((e) => e.kind.startsWith('USER_'))).toEqual([]);
    expect((await call('alice', 'GET', '/api/whoami')).status).toBe(200);
  });

  it('stops every token of the person at the next call, and enabling lets them act again', async () => {
    const token = d.setup.tokens.alice!;
    expect((await call('alice', 'GET', '/api/jobs')).status).toBe(200);
    const off = await call('ada', 'POST', '/api/people/alice/disable', { reason: 'left the operator on 2026-11-30' });
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({ name: 'alice', mayAct: false, disabled: { reason: 'left the operator on 2026-11-30' } });
    // The same token, already used: refused with its own code, on reads and writes alike.
    for (const [method, url] of [
      ['GET', '/api/jobs'],
      ['GET', '/api/whoami'],
      ['POST', '/api/jobs'],
    ] as const) {
      const r = await d.app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${token}` },
        ...(method === 'POST' ? { payload: { tenant: 'demo', env: 'dev', script: 'output("x", [{a: 1}])' } } : {}),
      });
      expect(r.statusCode, `${method} ${url}`).toBe(403);
      expect(r.json().error.code).toBe('AUTH_USER_DISABLED');
    }
    // The CLI's door resolves the same registration.
    await expect(d.od.principal({ as: 'alice' })).rejects.toMatchObject({ code: 'AUTH_USER_DISABLED' });
    // Registering her again (a changed display name) does not lift the disable.
    const same = d.od.ctx.people.get('alice')!;
    d.od.ctx.people.register({ ...same, display: 'Alice L.' }, 'ada');
    expect(d.od.ctx.people.get('alice')!.disabled).toMatchObject({ reason: 'left the operator on 2026-11-30' });
    expect(acts('USER_DISABLED').at(-1)!.data).toMatchObject({ reason: 'left the operator on 2026-11-30' });
    // The people list says so to the administrator.
    const list = (await call('ada', 'GET', '/api/people')).body.people as { name: string; mayAct: boolean; disabled: unknown }[];
    expect(list.find((p) => p.name === 'alice')).toMatchObject({ mayAct: false, disabled: { reason: 'left the operator on 2026-11-30' } });

    expect((await call('ada', 'POST', '/api/people/alice/enable', {})).body).toMatchObject({ mayAct: true, disabled: null });
    expect(acts('USER_ENABLED')).toHaveLength(1);
    expect((await call('alice', 'GET', '/api/jobs')).status).toBe(200);
  });
});

describe('the lifecycle steps the console offers come from the state table', () => {
  it("an administrator gets exactly the table's steps for the state; nobody else gets any", async () => {
    const states = [...new Set(TENANT_TRANSITIONS.map(([f]) => f))] as TenantState[];
    for (const s of states) {
      const fromTable = TENANT_TRANSITIONS.filter(([f, a]) => f === s && a !== 'activate' && a !== 'expire').map(([, a]) => a);
      expect(tenantActions(s, 'admin')).toEqual(fromTable);
      for (const role of ['operator', 'reviewer', 'security']) expect(tenantActions(s, role)).toEqual([]);
    }
    const ada = (await call('ada', 'GET', '/api/tenants')).body.tenants as { id: string; state: string; actions: string[] }[];
    expect(ada.find((a) => a.id === 'demo')!.actions).toEqual(['suspend', 'terminate', 'seal']);
    const bob = (await call('bob', 'GET', '/api/tenants/demo')).body as { actions: string[] };
    expect(bob.actions).toEqual([]);
    const suspended = await call('ada', 'POST', '/api/tenants/demo/suspend', { reason: 'drill' });
    expect(suspended.body.actions).toEqual(['resume', 'terminate', 'seal']);
    expect((await call('ada', 'POST', '/api/tenants/demo/resume', {})).body.actions).toEqual(['suspend', 'terminate', 'seal']);
  });

  it("steps the domain takes itself (activation, expiry) are nobody's to take", () => {
    return d.od.principal({ as: 'ada' }).then((ada) => {
      expect(() => d.od.tenants.transition(ada, 'demo', 'expire', 'testing')).toThrow(expect.objectContaining({ code: 'FORBIDDEN_ROLE' }));
      expect(d.od.ctx.authorizations.get('demo').state).toBe('active');
    });
  });
});
