// Authorizations: R8 grants, R15 term, the lifecycle table, operator calls refused outside
// `active`, destruction leaving no tenant file or key and a log that still verifies.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TENANT_TRANSITIONS, canTenantTransition, type TenantAction, type TenantState } from '../domain/index.ts';
import { demoDomain, INCOME_SCRIPT } from './helpers.ts';

type Domain = Awaited<ReturnType<typeof demoDomain>>;
let d: Domain;
beforeAll(async () => {
  d = await demoDomain({ workerPool: 0 });
});
afterAll(async () => d?.close());

const future = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();
const spec = (id: string, extra: Record<string, unknown> = {}) => ({ id, org: 'Test Org', scenarios: ['stats'], grants: [{ dataset: 'population' }], termEnd: future(365), ...extra });
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
    expect(await codeOf(() => a.create(spec('t-r8', { grants: [{ dataset: 'population', fields: ['id_card', 'criminal_record'] }] }), 'ada'))).toBe('DATASET_NOT_GRANTABLE');
    expect(await codeOf(() => a.create(spec('t-term', { termEnd: future(3 * 366 + 2) }), 'ada'))).toBe('BAD_REQUEST');
    expect(await codeOf(() => a.create(spec('t-past', { termEnd: future(-1) }), 'ada'))).toBe('BAD_REQUEST');
    expect(await codeOf(() => a.create(spec('T_bad'), 'ada'))).toBe('BAD_REQUEST');
    expect(await codeOf(() => a.create(spec('demo'), 'ada'))).toBe('TENANT_EXISTS');
    expect(a.find('t-r8')).toBeUndefined();
  });

  it('follow the lifecycle table exactly', () => {
    const states: TenantState[] = ['pending', 'active', 'suspended', 'terminated', 'expired', 'sealed', 'destroyed'];
    const actions: TenantAction[] = ['activate', 'suspend', 'resume', 'terminate', 'expire', 'seal', 'destroy'];
    for (const s of states) for (const a of actions) expect(canTenantTransition(s, a)).toBe(TENANT_TRANSITIONS.some(([f, x]) => f === s && x === a));
    for (const a of actions) expect(canTenantTransition('destroyed', a)).toBe(false);
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
      hs256: await new SignJWT({ role: 'admin' }).setProtectedHeader({ alg: 'HS256' }).setSubject('ada').setIssuer('urn:opdomain:dev-issuer').setAudience('opdomain').setIssuedAt().setExpirationTime('1h').sign(new TextEncoder().encode('x'.repeat(32))),
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
    const spec = { id: 't-role', org: 'X', scenarios: ['stats'], grants: [{ dataset: 'population' }], termEnd: future(30) };
    for (const who of ['alice', 'bob', 'sam']) {
      const p = await d.od.principal({ as: who });
      expect((await codeOf(() => d.od.tenants.create(p, spec))).toString(), who).toBe('FORBIDDEN_ROLE');
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
