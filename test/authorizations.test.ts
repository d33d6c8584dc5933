// Authorizations: R8 grants, R15 term, the lifecycle table, operator calls refused outside
// `active`, destruction leaving no tenant file or key and a log that still verifies.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  TENANT_TRANSITIONS,
  canTenantTransition,
  checkTenantTransition,
  type AuthorizationSpec,
  type TenantAction,
  type TenantState,
} from '../domain/index.ts';
import { demoDomain, INCOME_SCRIPT } from './helpers.ts';

type Domain = Awaited<ReturnType<typeof demoDomain>>;
let d: Domain;
beforeAll(async () => {
  d = await demoDomain({ workerPool: 0 });
});
afterAll(async () => d?.close());

const future = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();
const PLAN = { summary: 'Suspend, seal, notify the authority within one hour.', contact: 'security officer, 24 h line', approvedAt: '2026-01-01' };
const spec = (id: string, extra: Record<string, unknown> = {}) =>
  ({
    id,
    org: 'Test Org',
    scenarios: ['stats'],
    grants: [{ dataset: 'population' }],
    termEnd: future(365),
    justification: { 'population.*': ['stats'] },
    emergencyPlan: PLAN,
    ...extra,
  }) as AuthorizationSpec;
const codeOf = async (fn: () => unknown) => {
  try {
    await fn();
    return 'OK';
  } catch (e) {
    return (e as { code: string }).code;
  }
};

describe('authorizations', () => {
  it('refuse grants of prohibited or core data (R8), terms over three years (R15) and bad specs', async () => {
    const a = d.od.ctx.authorizations;
    expect(await codeOf(() => a.create(spec('t-r8', { grants: [{ dataset: 'population', fields: ['id_card', 'criminal_record'] }] }), 'ada'))).toBe(
      'DATASET_NOT_GRANTABLE',
    );
    expect(await codeOf(() => a.create(spec('t-term', { termEnd: future(3 * 366 + 2) }), 'ada'))).toBe('BAD_REQUEST');
    expect(await codeOf(() => a.create(spec('t-past', { termEnd: future(-1) }), 'ada'))).toBe('BAD_REQUEST');
    expect(await codeOf(() => a.create(spec('T_bad'), 'ada'))).toBe('BAD_REQUEST');
    expect(await codeOf(() => a.create(spec('demo'), 'ada'))).toBe('TENANT_EXISTS');
    expect(a.find('t-r8')).toBeUndefined();
  });

  it('every granted field is justified by a scenario (minimum necessary)', async () => {
    const a = d.od.ctx.authorizations;
    expect(await codeOf(() => a.create(spec('t-j1', { justification: {} }), 'ada'))).toBe('TENANT_FIELD_UNJUSTIFIED');
    expect(await codeOf(() => a.create(spec('t-j2', { justification: undefined }), 'ada'))).toBe('TENANT_FIELD_UNJUSTIFIED');
    expect(await codeOf(() => a.create(spec('t-j3', { justification: { 'population.*': ['marketing'] } }), 'ada'))).toBe('BAD_REQUEST');
    expect(await codeOf(() => a.create(spec('t-j4', { justification: { 'population.*': ['stats'], 'enterprise.*': ['stats'] } }), 'ada'))).toBe('BAD_REQUEST');
    const narrow = { grants: [{ dataset: 'population', fields: ['gender', 'county_code'] }] };
    expect(await codeOf(() => a.create(spec('t-j5', { ...narrow, justification: { 'population.gender': ['stats'] } }), 'ada'))).toBe(
      'TENANT_FIELD_UNJUSTIFIED',
    );
    expect(
      await codeOf(() =>
        a.create(
          spec('t-j6', { ...narrow, justification: { 'population.gender': ['stats'], 'population.county_code': ['stats'], 'population.phone': ['stats'] } }),
          'ada',
        ),
      ),
    ).toBe('BAD_REQUEST');
    expect(
      await codeOf(() => a.create(spec('t-j7', { ...narrow, justification: { 'population.gender': ['stats'], 'population.county_code': ['stats'] } }), 'ada')),
    ).toBe('OK');
    expect(a.get('t-j7').justification).toEqual({ 'population.gender': ['stats'], 'population.county_code': ['stats'] });
    for (const id of ['t-j1', 't-j2', 't-j3', 't-j4', 't-j5', 't-j6']) expect(a.find(id)).toBeUndefined();
  });

  it('no activation without an emergency plan (一授权一预案)', async () => {
    const a = d.od.ctx.authorizations;
    a.create(spec('t-plan', { emergencyPlan: undefined }), 'ada');
    await expect(a.provision('t-plan', 'ada')).rejects.toMatchObject({ code: 'TENANT_NO_EMERGENCY_PLAN' });
    expect(a.get('t-plan').state).toBe('pending');
    expect(await codeOf(() => a.setEmergencyPlan('t-plan', { summary: 'short', contact: 'x' }, 'ada'))).toBe('BAD_REQUEST');
    const ada = await d.od.principal({ as: 'ada' });
    const bob = await d.od.principal({ as: 'bob' });
    expect(await codeOf(() => d.od.tenants.setEmergencyPlan(bob, 't-plan', PLAN))).toBe('FORBIDDEN_ROLE');
    d.od.tenants.setEmergencyPlan(ada, 't-plan', PLAN);
    expect((await a.provision('t-plan', 'ada')).state).toBe('active');
    expect(d.od.ctx.audit.entries({ subject: 't-plan', kind: 'TENANT_PLAN_SET' })).toHaveLength(1);
  });

  it('the term ends at the exact second', async () => {
    const a = d.od.ctx.authorizations;
    a.create(spec('t-second'), 'ada');
    await a.provision('t-second', 'ada');
    const end = new Date(a.get('t-second').termEnd);
    expect(a.checkOperable('t-second', new Date(end.getTime() - 1)).state).toBe('active');
    expect(await codeOf(() => a.checkOperable('t-second', end))).toBe('TENANT_NOT_ACTIVE');
    expect(a.get('t-second').state).toBe('expired');
    expect(d.od.ctx.audit.entries({ subject: 't-second', kind: 'TENANT_STATE_CHANGED' }).at(-1)!.data).toMatchObject({
      to: 'expired',
      action: 'expire',
      reason: 'term ended',
    });
  });

  it('suspension takes effect at once: a running job is stopped', async () => {
    const alice = await d.od.principal({ as: 'alice' });
    const running = d.od.jobs.run(alice, { tenant: 'demo', env: 'dev', script: 'await new Promise(() => {})' });
    let jobId: string | undefined;
    for (let i = 0; i < 200 && !jobId; i++) {
      await new Promise((r) => setTimeout(r, 50));
      jobId = d.od.ctx.store.get<{ id: string }>("SELECT id FROM jobs WHERE tenant = 'demo' AND state = 'running'")?.id;
    }
    expect(jobId).toBeDefined();
    d.od.ctx.authorizations.transition('demo', 'suspend', 'ada', 'breach');
    expect(await running).toMatchObject({ ok: false, error: { code: 'JOB_CANCELLED' } });
    expect(d.od.ctx.audit.entries({ subject: jobId!, kind: 'JOB_CANCEL_REQUESTED' })[0]!.data).toMatchObject({ reason: 'authorization suspended' });
    expect(await codeOf(() => d.od.principal({ as: 'alice' }))).toBe('TENANT_NOT_ACTIVE');
    d.od.ctx.authorizations.transition('demo', 'resume', 'ada');
  });

  it('follow the lifecycle table exactly', () => {
    const states: TenantState[] = ['pending', 'active', 'suspended', 'terminated', 'expired', 'sealed', 'destroyed'];
    const actions: TenantAction[] = ['activate', 'suspend', 'resume', 'terminate', 'expire', 'seal', 'destroy'];
    for (const s of states) for (const a of actions) expect(canTenantTransition(s, a)).toBe(TENANT_TRANSITIONS.some(([f, x]) => f === s && x === a));
    for (const a of actions) expect(canTenantTransition('destroyed', a)).toBe(false);
    for (const s of states) {
      for (const a of actions) {
        const row = TENANT_TRANSITIONS.find(([f, x]) => f === s && x === a);
        if (row) expect(checkTenantTransition(s, a)).toBe(row[2]);
        else expect(() => checkTenantTransition(s, a), `${s} --${a}`).toThrow(expect.objectContaining({ code: 'TENANT_TRANSITION' }));
      }
    }
  });

  it('refuses a lifecycle action outside the table on a real authorization, changing nothing', async () => {
    const a = d.od.ctx.authorizations;
    a.create(spec('t-table'), 'ada');
    const before = d.od.ctx.audit.size();
    for (const action of ['resume', 'expire', 'destroy', 'suspend', 'terminate'] as const)
      expect(await codeOf(() => a.transition('t-table', action, 'ada'))).toBe('TENANT_TRANSITION');
    expect(a.get('t-table').state).toBe('pending');
    expect(d.od.ctx.audit.size()).toBe(before);
  });

  it('a suspended domain refuses every operator call, then resumes', async () => {
    const alice = await d.od.principal({ as: 'alice' });
    d.od.ctx.authorizations.transition('demo', 'suspend', 'ada', 'breach under investigation');
    expect(await codeOf(() => d.od.jobs.run(alice, { tenant: 'demo', script: INCOME_SCRIPT }))).toBe('TENANT_NOT_ACTIVE');
    expect(await codeOf(() => d.od.ctx.authorizations.transition('demo', 'activate', 'ada'))).toBe('TENANT_TRANSITION');
    d.od.ctx.authorizations.transition('demo', 'resume', 'ada');
    expect((await d.od.jobs.run(alice, { tenant: 'demo', script: INCOME_SCRIPT })).ok).toBe(true);
  });

  it('an expired term is enforced on the call itself', async () => {
    const a = d.od.ctx.authorizations;
    a.create(spec('t-exp'), 'ada');
    await a.provision('t-exp', 'ada');
    d.od.ctx.store.run('UPDATE tenants SET term_end = ? WHERE id = ?', new Date(Date.now() - 1000).toISOString(), 't-exp');
    expect(await codeOf(() => a.checkOperable('t-exp'))).toBe('TENANT_NOT_ACTIVE');
    expect(a.get('t-exp').state).toBe('expired');
  });

  it('destruction deletes the tenant files and key, records their hashes, and the log still verifies', async () => {
    const a = d.od.ctx.authorizations;
    const paths = d.od.ctx.paths;
    expect(existsSync(paths.tenantDb('t-exp', 'prod'))).toBe(true);
    a.transition('t-exp', 'destroy', 'ada');
    expect(existsSync(paths.tenantDir('t-exp'))).toBe(false);
    expect(existsSync(paths.tenantKey('t-exp'))).toBe(false);
    const record = d.od.ctx.audit.entries({ subject: 't-exp', kind: 'TENANT_STATE_CHANGED' }).at(-1)!;
    expect(record.data).toMatchObject({ to: 'destroyed', destruction: { keyDestroyed: true } });
    expect((record.data.destruction as { files: unknown[] }).files.length).toBeGreaterThanOrEqual(2);
    const sam = await d.od.principal({ as: 'sam' });
    expect((await d.od.lineage.verify(sam)).ok).toBe(true);
  });
});

describe('identity', () => {
  it('refuses tokens that are expired, for another audience or issuer, or signed by another key', async () => {
    const { SignJWT, generateKeyPair } = await import('jose');
    const id = d.od.ctx.identity;
    const good = await id.issueDevToken('alice');
    expect((await id.verify(good)).user).toBe('alice');
    const other = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const base = () => new SignJWT({ role: 'operator', tenant: 'demo' }).setProtectedHeader({ alg: 'EdDSA' }).setSubject('alice').setIssuedAt();
    const cases = {
      otherKey: await base().setIssuer('urn:opdomain:dev-issuer').setAudience('opdomain').setExpirationTime('1h').sign(other.privateKey),
      hs256: await new SignJWT({ role: 'admin' })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('ada')
        .setIssuer('urn:opdomain:dev-issuer')
        .setAudience('opdomain')
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode('x'.repeat(32))),
      oversized: 'a'.repeat(9000),
      empty: '',
    };
    for (const [name, token] of Object.entries(cases)) {
      const code = await codeOf(() => id.verify(token));
      expect(code, name).toMatch(/^AUTH_(INVALID_TOKEN|REQUIRED)$/);
    }
  });
  it('refuses a user whose confidentiality agreement has lapsed (R22)', async () => {
    const p = d.od.ctx.people.get('carol')!;
    const token = await d.od.ctx.identity.issueDevToken('carol');
    d.od.ctx.people.register({ ...p, agreementUntil: new Date(Date.now() - 1000).toISOString() }, 'ada');
    expect(await codeOf(() => d.od.ctx.identity.verify(token))).toBe('FORBIDDEN_ROLE');
    d.od.ctx.people.register(p, 'ada');
  });
  it('--as stops working when the dev issuer is turned off', async () => {
    d.od.ctx.identity.setDevIssuer(false);
    expect(await codeOf(() => d.od.principal({ as: 'alice' }))).toBe('AUTH_DEV_ISSUER_DISABLED');
    d.od.ctx.identity.setDevIssuer(true);
  });
});

describe('only administrators change authorizations or purge the log, whichever door they use', () => {
  it('refuses operators, reviewers and security staff with FORBIDDEN_ROLE, and scopes operators', async () => {
    const roleSpec = spec('t-role');
    for (const who of ['alice', 'bob', 'sam']) {
      const p = await d.od.principal({ as: who });
      expect((await codeOf(() => d.od.tenants.create(p, roleSpec))).toString(), who).toBe('FORBIDDEN_ROLE');
      expect(await codeOf(() => d.od.tenants.build(p, 'demo')), who).toBe('FORBIDDEN_ROLE');
      expect(await codeOf(async () => d.od.tenants.transition(p, 'demo', 'suspend')), who).toBe('FORBIDDEN_ROLE');
      expect(await codeOf(async () => d.od.lineage.purge(p, new Date('2000-01-01'))), who).toBe('FORBIDDEN_ROLE');
    }
    expect(d.od.ctx.authorizations.find('t-role')).toBeUndefined();
    const alice = await d.od.principal({ as: 'alice' });
    expect(d.od.tenants.list(alice).map((t) => t.id)).toEqual(['demo']);
    expect(await codeOf(async () => d.od.tenants.get(alice, 't-exp'))).toBe('FORBIDDEN_TENANT');
    const ada = await d.od.principal({ as: 'ada' });
    expect(await codeOf(async () => d.od.lineage.purge(ada, new Date()))).toBe('AUDIT_PURGE_REFUSED');
  });
});

describe('people and supervision', () => {
  it("administrators register people; operators see their own authorization's; nobody else registers", async () => {
    const [ada, alice, bob, sam] = await Promise.all(['ada', 'alice', 'bob', 'sam'].map((as) => d.od.principal({ as })));
    expect(await codeOf(() => d.od.people.register(bob, { name: 'zed', role: 'reviewer', display: 'Zed' }))).toBe('FORBIDDEN_ROLE');
    expect(await codeOf(() => d.od.people.register(ada, { name: 'zed', role: 'operator', tenant: 'nowhere', display: 'Zed' }))).toBe('TENANT_NOT_FOUND');
    expect(await codeOf(() => d.od.people.register(ada, { name: 'zed', role: 'reviewer', tenant: 'demo', display: 'Zed' }))).toBe('BAD_REQUEST');
    expect(await codeOf(() => d.od.people.register(ada, { name: 'Zed!', role: 'reviewer', display: 'Zed' }))).toBe('BAD_REQUEST');
    const zed = d.od.people.register(ada, { name: 'zed', role: 'operator', tenant: 'demo', display: 'Zed 张' });
    expect(zed).toMatchObject({ verified: false, agreementUntil: null, mayAct: false });
    // Registered but neither verified nor under agreement: may not act (R22).
    expect(await codeOf(() => d.od.principal({ as: 'zed' }))).toBe('FORBIDDEN_ROLE');
    d.od.people.update(ada, 'zed', { verified: true, agreementUntil: future(30) });
    expect((await d.od.principal({ as: 'zed' })).user).toBe('zed');
    expect(
      d.od.people
        .list(alice)
        .map((p) => p.name)
        .sort(),
    ).toEqual(['alice', 'zed']);
    expect(await codeOf(() => d.od.people.get(alice, 'bob'))).toBe('USER_NOT_FOUND');
    expect(d.od.people.list(sam).length).toBeGreaterThanOrEqual(6);
  });

  it("the authority sees every domain's state and activity, without data; operators and reviewers do not", async () => {
    const [ada, sam, alice, bob] = await Promise.all(['ada', 'sam', 'alice', 'bob'].map((as) => d.od.principal({ as })));
    expect(await codeOf(() => d.od.supervision.overview(alice))).toBe('FORBIDDEN_ROLE');
    expect(await codeOf(() => d.od.supervision.overview(bob))).toBe('FORBIDDEN_ROLE');
    const view = d.od.supervision.overview(sam);
    expect(view.domains.map((x) => x.id)).toEqual(expect.arrayContaining(['demo', 't-plan']));
    const demo = view.domains.find((x) => x.id === 'demo')!;
    expect(demo).toMatchObject({ state: 'active', emergencyPlan: true });
    expect(demo.audit.entries).toBeGreaterThan(0);
    expect(d.od.supervision.overview(ada).domains.length).toBe(view.domains.length);
  });
});
