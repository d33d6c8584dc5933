// The authority's workflows (R17, R20, R22, R26, R29, R30), by attack on who may act and on the
// tables: governance requests assigned with a deadline and flagged when overdue; demand lists
// decided item by item, province data flowing down only with a province reviewer's consent,
// applied to grants by an administrator; drills and training as records and conditions; the
// yearly report counted from the audit log, printed to PDF and signed; the evaluation kept.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compactVerify, importJWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMANDS, GOVERNANCE } from '../authority/index.ts';
import { DEMO_EMERGENCY_PLAN, type Opdomain, type Principal } from '../gateway/index.ts';
import { demoDomainWithApp } from './helpers.ts';

const CHROMIUM = process.env.OPDOMAIN_CHROMIUM ?? '/usr/bin/chromium';
const HAVE_BROWSER = existsSync(CHROMIUM);
if (!HAVE_BROWSER && process.env.OPDOMAIN_REQUIRE_BROWSER === '1') throw new Error(`OPDOMAIN_REQUIRE_BROWSER=1 but ${CHROMIUM} is missing`);

let d: Awaited<ReturnType<typeof demoDomainWithApp>>;
let od: Opdomain;
const who: Record<string, Principal> = {};
const YEAR = new Date().getUTCFullYear();

async function refused(fn: () => unknown, code: string): Promise<void> {
  try {
    await fn();
  } catch (err) {
    expect((err as { code?: string }).code).toBe(code);
    return;
  }
  throw new Error(`expected ${code}, but it succeeded`);
}

beforeAll(async () => {
  d = await demoDomainWithApp();
  od = d.od;
  for (const n of ['alice', 'bob', 'carol', 'sam', 'ada']) who[n] = await od.principal({ as: n });
}, 180_000);
afterAll(() => d?.close());

describe('governance requests (R17)', () => {
  it('an operator reports, the authority assigns with a deadline, an overdue one is flagged, an administrator closes it with the fixing version', async () => {
    const job = await od.jobs.run(who.alice!, {
      tenant: 'demo',
      env: 'dev',
      script: "output('nulls', await sql('SELECT count(*) AS n FROM population WHERE address IS NULL'))",
    });
    const g = od.governance.report(who.alice!, {
      dataset: 'population',
      field: 'address',
      problem: 'many addresses are empty in the county files',
      evidence: { jobId: job.jobId, output: 'nulls' },
    });
    expect(g).toMatchObject({ state: 'reported', reporter: 'alice', actions: ['withdraw'] });
    await refused(() => od.governance.act(who.alice!, g.id, 'assign', { department: 'self', deadline: '2030-01-01' }), 'FORBIDDEN_ROLE');
    await refused(() => od.governance.act(who.bob!, g.id, 'resolve', { resolution: 'fixed it quickly', fixedVersion: 1 }), 'GOVERNANCE_TRANSITION');
    const past = new Date(Date.now() - 86_400_000).toISOString();
    const assigned = od.governance.act(who.bob!, g.id, 'assign', { department: '浙江省公安厅', deadline: past });
    expect(assigned).toMatchObject({ state: 'assigned', department: '浙江省公安厅', overdue: true });
    expect(
      od.supervision
        .overview(who.sam!)
        .domains.find((x) => x.id === 'demo')!
        .flags.join(' '),
    ).toMatch(/governance request\(s\) past their deadline/);
    await refused(() => od.governance.act(who.alice!, g.id, 'withdraw'), 'GOVERNANCE_TRANSITION');
    await refused(() => od.governance.act(who.bob!, g.id, 'resolve', { resolution: 'the department refilled them', fixedVersion: 1 }), 'FORBIDDEN_ROLE');
    await refused(() => od.governance.act(who.ada!, g.id, 'resolve', { resolution: 'the department refilled them', fixedVersion: 99 }), 'BAD_REQUEST');
    const done = od.governance.act(who.ada!, g.id, 'resolve', { resolution: 'the department refilled the addresses', fixedVersion: 1 });
    expect(done).toMatchObject({ state: 'resolved', fixedVersion: 1, overdue: false, actions: [] });
    // Nothing moves a closed request, and a refused step writes nothing.
    const before = od.lineage.entries(who.sam!, { kind: 'GOVERNANCE_CHANGED' }).length;
    for (const action of ['assign', 'resolve', 'reject', 'withdraw'] as const)
      await refused(() => od.governance.act(who.ada!, g.id, action, {}), 'GOVERNANCE_TRANSITION');
    expect(od.lineage.entries(who.sam!, { kind: 'GOVERNANCE_CHANGED' }).length).toBe(before);
    // Only operators report, of datasets their authorization holds.
    await refused(() => od.governance.report(who.bob!, { dataset: 'population', problem: 'a reviewer cannot report this' }), 'FORBIDDEN_ROLE');
    await refused(() => od.governance.report(who.alice!, { dataset: 'nonsense', problem: 'no such dataset here' }), 'DATASET_NOT_FOUND');
  }, 60_000);

  it('the table names who may act, and everything outside it is refused', () => {
    for (const [from, action, to, roles] of GOVERNANCE.transitions) {
      expect(GOVERNANCE.check(from, action, { user: 'x', role: roles[0]! }, action === 'withdraw' ? 'x' : 'y')).toBe(to);
      for (const role of ['operator', 'reviewer', 'security', 'admin'].filter((r) => !roles.includes(r as never)))
        expect(GOVERNANCE.can(from, action, { user: 'x', role }, 'y')).toBe(false);
    }
    expect(GOVERNANCE.can('resolved', 'assign', { user: 'x', role: 'admin' }, 'y')).toBe(false);
  });
});

describe('docs/authority.md', () => {
  it('draws both tables from the code', async () => {
    const { readFileSync } = await import('node:fs');
    const doc = readFileSync(new URL('../docs/authority.md', import.meta.url), 'utf8');
    expect(doc).toContain(GOVERNANCE.diagram('reported'));
    expect(doc).toContain(DEMANDS.diagram('submitted'));
  });
});

describe('data demand lists (R20)', () => {
  it('province data flowing down to a city needs a province reviewer; the filer never decides; an administrator applies the approved items to the grants', async () => {
    await od.tenants.create(
      who.ada!,
      {
        id: 'city1',
        org: 'Hangzhou City Data Co.',
        scenarios: ['city-stats'],
        grants: [{ dataset: 'enterprise' }],
        termEnd: new Date(Date.now() + 365 * 86_400_000).toISOString(),
        justification: { 'enterprise.*': ['city-stats'] },
        emergencyPlan: DEMO_EMERGENCY_PLAN,
      },
      { provision: false },
    );
    od.tenants.setLevel(who.ada!, 'city1', 'city');
    od.people.register(who.ada!, {
      name: 'cora',
      role: 'operator',
      tenant: 'city1',
      display: 'Cora 陈',
      verified: true,
      agreementUntil: new Date(Date.now() + 86_400_000 * 90).toISOString(),
    });
    od.people.update(who.ada!, 'carol', { level: 'city' });
    const cora = await od.principal({ as: 'cora' });
    const list = od.demands.file(cora, {
      items: [
        {
          dataset: 'population',
          fields: ['county_code', 'gender', 'birth_date'],
          scenario: 'city-stats',
          justification: 'residents by county and age for the city plan',
        },
        { dataset: 'medical_claims', scenario: 'city-stats', justification: 'claims are not needed for the plan, asked to test' },
      ],
    });
    expect(list.items.map((x) => x.provinceConsent)).toEqual([true, true]);
    expect(list.actions).toEqual(['withdraw']);
    await refused(() => od.demands.decide(cora, list.id, 0, 'approve', undefined), 'FORBIDDEN_ROLE');
    await refused(() => od.demands.decide(who.carol!, list.id, 0, 'approve', undefined), 'DEMAND_NEEDS_PROVINCE');
    await refused(() => od.demands.decide(who.bob!, list.id, 1, 'refuse', 'no'), 'BAD_REQUEST');
    expect(od.demands.decide(who.bob!, list.id, 0, 'approve', undefined).state).toBe('in_review');
    await refused(() => od.demands.apply(who.ada!, list.id), 'DEMAND_TRANSITION');
    const decided = od.demands.decide(who.bob!, list.id, 1, 'refuse', 'no scenario of the authorization needs claims');
    expect(decided.state).toBe('decided');
    const written = od.lineage.entries(who.sam!, { kind: 'DEMAND_ITEM_DECIDED' }).length;
    await refused(() => od.demands.decide(who.bob!, list.id, 1, 'approve', undefined), 'DEMAND_TRANSITION');
    expect(od.lineage.entries(who.sam!, { kind: 'DEMAND_ITEM_DECIDED' }).length).toBe(written);
    await refused(() => od.demands.apply(who.bob!, list.id), 'FORBIDDEN_ROLE');
    await refused(() => od.demands.withdraw(cora, list.id), 'DEMAND_TRANSITION');
    const applied = od.demands.apply(who.ada!, list.id);
    expect(applied.state).toBe('applied');
    const grants = od.tenants.get(who.ada!, 'city1').grants;
    expect(grants).toEqual(expect.arrayContaining([{ dataset: 'enterprise' }, { dataset: 'population', fields: ['birth_date', 'county_code', 'gender'] }]));
    expect(grants.some((x) => x.dataset === 'medical_claims')).toBe(false);
    // An operator of another authorization does not see it, nor its governance requests.
    await refused(() => od.demands.get(who.alice!, list.id), 'DEMAND_NOT_FOUND');
    const theirs = od.governance.list(who.sam!, { tenant: 'demo' })[0]!;
    await refused(() => od.governance.get(cora, theirs.id), 'GOVERNANCE_NOT_FOUND');
    await refused(() => od.governance.act(cora, theirs.id, 'withdraw'), 'GOVERNANCE_NOT_FOUND');
    for (const [from, action, , roles] of DEMANDS.transitions)
      expect(DEMANDS.can(from, action, { user: 'x', role: roles[0]! }, action === 'withdraw' ? 'x' : 'y')).toBe(true);
  }, 60_000);
});

describe('drills (R29) and training (R22)', () => {
  it('an authorization without a drill in twelve months is flagged until one is recorded', async () => {
    const flags = () => od.supervision.overview(who.sam!).domains.find((x) => x.id === 'demo')!.flags;
    expect(flags()).toContain('no emergency drill recorded');
    await refused(
      () =>
        od.records.recordDrill(who.alice!, 'demo', {
          heldOn: '2999-01-01',
          scenario: 'leak of a token table',
          participants: ['alice'],
          findings: 'not yet held',
        }),
      'BAD_REQUEST',
    );
    await refused(
      () =>
        od.records.recordDrill(who.bob!, 'demo', {
          heldOn: '2026-01-05',
          scenario: 'leak of a token table',
          participants: ['alice'],
          findings: 'a reviewer records nothing',
        }),
      'FORBIDDEN_ROLE',
    );
    const today = new Date().toISOString().slice(0, 10);
    od.records.recordDrill(who.alice!, 'demo', {
      heldOn: today,
      scenario: 'a leaked token table is reported',
      participants: ['alice', 'sam'],
      findings: 'keys rotated within the hour; the contact list was out of date',
    });
    expect(flags().join(' ')).not.toMatch(/drill/);
    expect(od.records.drills(who.sam!, 'demo')).toHaveLength(1);
  });

  it('where the domain requires training, a person without current training cannot act', async () => {
    od.people.register(who.ada!, {
      name: 'olga',
      role: 'operator',
      tenant: 'demo',
      display: 'Olga 王',
      verified: true,
      agreementUntil: new Date(Date.now() + 86_400_000 * 30).toISOString(),
    });
    expect((await od.principal({ as: 'olga' })).user).toBe('olga');
    await refused(() => od.records.setTrainingRequired(who.alice!, true), 'FORBIDDEN_ROLE');
    od.records.setTrainingRequired(who.ada!, true);
    try {
      await refused(() => od.principal({ as: 'olga' }), 'FORBIDDEN_ROLE');
      // The demo's cast took the pre-job course when the demo was set up.
      expect((await od.principal({ as: 'alice' })).user).toBe('alice');
      await refused(
        () => od.records.recordTraining(who.ada!, 'olga', { course: 'Data security', takenOn: '2026-01-02', expiresOn: '2026-01-01' }),
        'BAD_REQUEST',
      );
      const until = new Date(Date.now() + 86_400_000 * 365).toISOString().slice(0, 10);
      od.records.recordTraining(who.ada!, 'olga', {
        course: 'Data security and confidentiality',
        takenOn: new Date().toISOString().slice(0, 10),
        expiresOn: until,
      });
      expect((await od.principal({ as: 'olga' })).user).toBe('olga');
      expect(od.people.get(who.ada!, 'olga').trainedUntil).toBe(until);
    } finally {
      od.records.setTrainingRequired(who.ada!, false);
    }
  });
});

describe.skipIf(!HAVE_BROWSER)('the yearly report (R26) and the evaluation (R30)', () => {
  it('counts the year from the audit log, prints a PDF that renders, signs both, and the evaluation is kept for the organisation', async () => {
    od.reports.setMarket(who.alice!, 'demo', YEAR, {
      items: [{ name: 'people-by-county', price: '0.2 yuan per call', revenue: 1234.5 }],
      notes: 'first year of API sales',
    });
    await refused(() => od.reports.setMarket(who.bob!, 'demo', YEAR, { items: [] }), 'FORBIDDEN_ROLE');
    await refused(() => od.reports.generate(who.alice!, 'demo', YEAR), 'FORBIDDEN_ROLE');
    // Without a browser to print it, nothing is written and the code says why.
    const chromium = process.env.OPDOMAIN_CHROMIUM;
    process.env.OPDOMAIN_CHROMIUM = '/nonexistent/chromium';
    try {
      await refused(() => od.reports.generate(who.sam!, 'demo', YEAR), 'REPORT_PDF_UNAVAILABLE');
      await refused(() => od.reports.get(who.sam!, 'demo', YEAR), 'REPORT_NOT_FOUND');
    } finally {
      if (chromium === undefined) delete process.env.OPDOMAIN_CHROMIUM;
      else process.env.OPDOMAIN_CHROMIUM = chromium;
    }
    const report = await od.reports.generate(who.sam!, 'demo', YEAR);
    // The test recounts what the report says from the log itself.
    const entries = [...od.ctx.audit.entries()].filter((e) => e.tenant === 'demo' && e.at.startsWith(String(YEAR)));
    const queries = entries.filter((e) => e.kind === 'QUERY');
    expect(report.facts.processing.queriesAllowed).toBe(queries.filter((e) => e.data.verdict === 'allowed').length);
    expect(report.facts.processing.queriesRefused).toBe(queries.filter((e) => e.data.verdict === 'refused').length);
    expect(report.facts.processing.jobs.reduce((a, j) => a + j.n, 0)).toBe(entries.filter((e) => e.kind === 'JOB_STARTED').length);
    expect(report.facts.security.drills).toBe(1);
    expect(report.facts.security.governanceReported).toBe(entries.filter((e) => e.kind === 'GOVERNANCE_REPORTED').length);
    expect(report.facts.market?.items[0]?.revenue).toBe(1234.5);
    const built = entries.filter((e) => e.kind === 'TENANT_BUILT').at(-1)!.data as { rows: Record<string, { prod: number }> };
    expect(report.facts.data.datasets.find((x) => x.dataset === 'population')!.rows).toBe(built.rows.population!.prod);
    const files = od.reports.get(who.alice!, 'demo', YEAR);
    expect(files.html).toContain(`${report.facts.processing.queriesAllowed} queries allowed`);
    expect(files.html).toContain('1234.5');
    expect(files.html).not.toMatch(/<script/i);
    expect(files.pdf.subarray(0, 5).toString()).toBe('%PDF-');
    // The manifest is signed with the domain's key and names both files' hashes.
    const key = await importJWK(od.jwks().keys[0] as never, 'EdDSA');
    const { payload } = await compactVerify(files.jws, key);
    const manifest = JSON.parse(new TextDecoder().decode(payload)) as { files: { name: string; sha256: string }[] };
    expect(manifest.files.map((f) => f.sha256)).toEqual(report.files.map((f) => f.sha256));
    // pdftoppm renders its pages (poppler-utils), where installed.
    let pdftoppm = true;
    try {
      execFileSync('pdftoppm', ['-v'], { stdio: 'ignore' });
    } catch {
      pdftoppm = false;
    }
    if (!pdftoppm && process.env.OPDOMAIN_REQUIRE_BROWSER === '1') throw new Error('pdftoppm is missing (apt-get install poppler-utils)');
    if (pdftoppm) {
      const dir = mkdtempSync(join(tmpdir(), 'opdomain-pdf-'));
      writeFileSync(join(dir, 'r.pdf'), files.pdf);
      execFileSync('pdftoppm', ['-png', '-r', '40', join(dir, 'r.pdf'), join(dir, 'page')]);
      expect(existsSync(join(dir, 'page-1.png'))).toBe(true);
    }
    await refused(() => od.reports.evaluate(who.alice!, 'demo', YEAR, { score: 100, notes: 'I think we did very well' }), 'FORBIDDEN_ROLE');
    const ev = od.reports.evaluate(who.bob!, 'demo', YEAR, { score: 80, notes: 'timely governance reports; one drill' });
    expect(ev.criteria.map((c) => c.id)).toContain('emergency_drills');
    expect(ev.score).toBeGreaterThan(0);
    expect(ev.score).toBeLessThanOrEqual(100);
    expect(od.reports.evaluations(who.ada!, ev.org).map((x) => x.score)).toEqual([ev.score]);
  }, 120_000);
});
