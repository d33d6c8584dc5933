// `opdomain demo`: sample data if absent, the demo authorization `demo` with its cast, the
// dev issuer on. Idempotent: a second run reuses what is there.
import { existsSync } from 'node:fs';
import { CATALOG, generateSampleData } from '../datasets/index.ts';
import type { Person } from '../domain/index.ts';
import type { Opdomain } from './opdomain.ts';

export const DEMO_TENANT = 'demo';
export const DEMO_SCENARIO = 'public-statistics';
export const DEMO_SCALE = 5000;

export function demoCast(now = new Date()): Person[] {
  const until = new Date(now.getTime() + 365 * 86_400_000).toISOString();
  const p = (name: string, role: Person['role'], display: string, tenant: string | null = null): Person => ({
    name,
    role,
    tenant,
    display,
    verified: true,
    agreementUntil: until,
  });
  return [
    p('alice', 'operator', 'Alice 李 (operator, 示例数据运营公司)', DEMO_TENANT),
    p('bob', 'reviewer', 'Bob 王 (reviewer, 数据主管部门)'),
    p('carol', 'reviewer', 'Carol 陈 (reviewer, 数据主管部门)'),
    p('sam', 'security', 'Sam 赵 (security staff)'),
    p('ada', 'admin', 'Ada 周 (administrator)'),
  ];
}

export const DEMO_EMERGENCY_PLAN = {
  summary:
    'On a suspected leak or breach: suspend the authorization (running jobs stop, tokens refused), seal it for investigation, notify the data authority within 1 hour and the affected departments within 24 hours, revoke released bundles at risk, replay the jobs concerned from the audit log.',
  contact: 'Demo Data Operations Co. security officer, +86 571 0000 0000 (24 h)',
  approvedAt: '2026-01-01T00:00:00.000Z',
};

export interface DemoSetup {
  readonly generated: boolean;
  readonly provisioned: boolean;
  readonly tokens: Record<string, string>;
}

export async function setupDemo(
  od: Opdomain,
  opts: { scale?: number; onProgress?: (step: string, done: number, total: number) => void } = {},
): Promise<DemoSetup> {
  const { ctx } = od;
  let generated = false;
  if (!existsSync(ctx.paths.rawDb)) {
    const scale = opts.scale ?? DEMO_SCALE;
    const versions = await generateSampleData(ctx.paths.rawDb, { scale, ...(opts.onProgress ? { onProgress: opts.onProgress } : {}) });
    ctx.versions.record(versions, 'system', { kind: 'sample', scale });
    generated = true;
  }
  ctx.identity.setDevIssuer(true);
  let provisioned = false;
  const existing = ctx.authorizations.find(DEMO_TENANT);
  if (!existing) {
    const termEnd = new Date(Date.now() + 2 * 365 * 86_400_000).toISOString();
    ctx.authorizations.create(
      {
        id: DEMO_TENANT,
        org: '示例数据运营有限公司 Demo Data Operations Co.',
        scenarios: [DEMO_SCENARIO],
        grants: CATALOG.map((d) => ({ dataset: d.id })),
        termEnd,
        devSamplePercent: 10,
        // The demo's one scenario (public statistics on population, insurance, claims and firms) needs every dataset it is granted.
        justification: Object.fromEntries(CATALOG.map((d) => [`${d.id}.*`, [DEMO_SCENARIO]])),
        emergencyPlan: DEMO_EMERGENCY_PLAN,
      },
      'system',
    );
  }
  for (const person of demoCast()) if (!ctx.people.get(person.name)) ctx.people.register(person, 'system');
  // Pre-job training (R22) for the cast, so a domain that requires it still lets the tour run.
  for (const person of demoCast()) {
    if (ctx.people.trainedUntil(person.name)) continue;
    const today = new Date().toISOString().slice(0, 10);
    const until = new Date(Date.now() + 365 * 86_400_000).toISOString().slice(0, 10);
    ctx.people.recordTraining(
      { id: `trn_demo_${person.name}`, person: person.name, course: 'Data security and confidentiality (pre-job)', takenOn: today, expiresOn: until },
      'system',
    );
  }
  const auth = ctx.authorizations.get(DEMO_TENANT);
  if (auth.state === 'pending' || !auth.build || !existsSync(ctx.paths.tenantDb(DEMO_TENANT, 'prod'))) {
    await ctx.authorizations.provision(DEMO_TENANT, 'system');
    provisioned = true;
  }
  const tokens: Record<string, string> = {};
  for (const person of demoCast()) tokens[person.name] = await ctx.identity.issueDevToken(person.name);
  await ctx.audit.checkpoint();
  return { generated, provisioned, tokens };
}
