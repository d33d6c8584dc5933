// The yearly operation report (R26) and evaluation (R30). The facts are counted from the domain's
// own records for the authorization and the calendar year; the operator fills in only the market
// operation (prices, revenue). The report is written as HTML and as a PDF printed by headless
// Chromium, with a manifest of both files' hashes signed by the domain's key like a bundle. The
// authority's evaluation scores the same facts plus the reviewers' input and is kept for the
// organisation's next application (R15).
import { CompactSign } from 'jose';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { evaluate, renderReport, type Criterion, type YearFacts } from '../authority/index.ts';
import { OpError } from '../errors/index.ts';
import { EVENTS } from '../lineage/index.ts';
import type { DomainContext } from './context.ts';
import type { GovernanceService } from './governanceService.ts';
import { checkRole, checkTenantScope, type Principal } from './principal.ts';

const sha256 = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');

export interface ReportView {
  readonly tenant: string;
  readonly year: number;
  readonly facts: YearFacts;
  readonly files: readonly { readonly name: string; readonly sha256: string; readonly path: string }[];
  readonly jws: string;
}

export interface EvaluationView {
  readonly tenant: string;
  readonly org: string;
  readonly year: number;
  readonly score: number;
  readonly criteria: readonly Criterion[];
  readonly evaluatedBy: string;
  readonly evaluatedAt: string;
}

export class ReportService {
  constructor(
    private readonly ctx: DomainContext,
    private readonly governance: GovernanceService,
  ) {}

  /** The operator fills in the market operation of its products for the year. */
  setMarket(
    p: Principal,
    tenant: string,
    year: number,
    input: { items?: unknown; notes?: unknown },
  ): { tenant: string; year: number; market: YearFacts['market'] } {
    checkRole(p, 'operator');
    checkTenantScope(p, tenant);
    checkYear(year);
    if (!Array.isArray(input?.items) || input.items.length > 200) throw new OpError('BAD_REQUEST', 'items lists at most 200 products: {name, price, revenue}');
    const items = input.items.map((x: unknown, i: number) => {
      const it = (x ?? {}) as Record<string, unknown>;
      if (typeof it.name !== 'string' || !it.name.trim() || it.name.length > 200) throw new OpError('BAD_REQUEST', `items[${i}].name is required`);
      if (typeof it.price !== 'string' || it.price.length > 200) throw new OpError('BAD_REQUEST', `items[${i}].price is a text (e.g. "0.5 yuan per call")`);
      if (typeof it.revenue !== 'number' || !Number.isFinite(it.revenue) || it.revenue < 0)
        throw new OpError('BAD_REQUEST', `items[${i}].revenue is a number of yuan`);
      return { name: it.name.trim(), price: it.price, revenue: it.revenue };
    });
    const notes = typeof input.notes === 'string' ? input.notes.slice(0, 4000) : '';
    const market = { items, notes };
    this.ctx.store.tx(() => {
      this.ctx.store.run(
        'INSERT INTO yearly_reports (tenant, year, market) VALUES (?, ?, ?) ON CONFLICT (tenant, year) DO UPDATE SET market = excluded.market',
        tenant,
        year,
        JSON.stringify(market),
      );
      this.ctx.audit.append({
        kind: EVENTS.REPORT_GENERATED,
        actor: p.user,
        tenant,
        subject: `${tenant}/${year}`,
        data: { step: 'market', items: items.length },
      });
    });
    return { tenant, year, market };
  }

  /** The year's facts, counted from the audit log and the control store. */
  facts(tenant: string, year: number): YearFacts {
    const { store } = this.ctx;
    const a = this.ctx.authorizations.get(tenant);
    const from = `${year}-01-01T00:00:00.000Z`;
    const to = `${year + 1}-01-01T00:00:00.000Z`;
    const scope = 'tenant = ? AND at >= ? AND at < ?';
    const count = (where: string) => store.get<{ n: number }>(`SELECT count(*) AS n FROM audit WHERE ${scope} AND ${where}`, tenant, from, to)!.n;
    const builds = store
      .all<{ body: string }>(`SELECT body FROM audit WHERE ${scope} AND kind = 'TENANT_BUILT' ORDER BY seq`, tenant, from, to)
      .map(
        (r) =>
          (JSON.parse(r.body) as { data: { datasets?: { dataset: string; version: number }[]; rows?: Record<string, { prod: number; dev: number }> } }).data,
      );
    const last = builds.at(-1);
    const jobs = store.all<{ env: string; state: string; n: number }>(
      `SELECT json_extract(s.body, '$.data.env') AS env, coalesce(json_extract(f.body, '$.data.state'), 'running') AS state, count(*) AS n
         FROM audit s LEFT JOIN audit f ON f.kind = 'JOB_FINISHED' AND f.subject = s.subject
        WHERE s.tenant = ? AND s.at >= ? AND s.at < ? AND s.kind = 'JOB_STARTED' GROUP BY env, state ORDER BY env, state`,
      tenant,
      from,
      to,
    );
    const cpu =
      store.get<{ ms: number | null }>(
        `SELECT sum(CAST(json_extract(body, '$.data.stats.cpuMs') AS DOUBLE PRECISION)) AS ms FROM audit WHERE ${scope} AND kind = 'JOB_FINISHED'`,
        tenant,
        from,
        to,
      )!.ms ?? 0;
    const verdicts = store.all<{ verdict: string; n: number }>(
      `SELECT json_extract(body, '$.data.verdict') AS verdict, count(*) AS n FROM audit WHERE ${scope} AND kind IN ('EXPORT_REQUESTED', 'EXPORT_REVISED') GROUP BY verdict ORDER BY verdict`,
      tenant,
      from,
      to,
    );
    const refusals = store.all<{ code: string; n: number }>(
      `SELECT json_extract(body, '$.data.code') AS code, count(*) AS n FROM audit WHERE ${scope}
         AND (kind IN ('AUTH_REFUSED', 'ACCESS_DENIED') OR (kind = 'QUERY' AND json_extract(body, '$.data.verdict') = 'refused') OR (kind = 'PRODUCT_CALL' AND CAST(json_extract(body, '$.data.status') AS INTEGER) <> 200))
         AND json_extract(body, '$.data.code') IS NOT NULL GROUP BY code ORDER BY n DESC, code`,
      tenant,
      from,
      to,
    );
    const consumers = store.get<{ n: number }>(
      `SELECT count(DISTINCT actor) AS n FROM audit WHERE ${scope} AND kind = 'PRODUCT_CALL' AND CAST(json_extract(body, '$.data.status') AS INTEGER) = 200`,
      tenant,
      from,
      to,
    )!.n;
    const market = store.get<{ market: string | null }>('SELECT market FROM yearly_reports WHERE tenant = ? AND year = ?', tenant, year)?.market;
    return {
      tenant,
      org: a.org,
      year,
      generatedAt: new Date().toISOString(),
      data: {
        builds: builds.length,
        datasets: (last?.datasets ?? []).map((d) => ({ dataset: d.dataset, version: d.version, rows: last?.rows?.[d.dataset]?.prod ?? 0 })),
      },
      processing: {
        jobs,
        queriesAllowed: count("kind = 'QUERY' AND json_extract(body, '$.data.verdict') = 'allowed'"),
        queriesRefused: count("kind = 'QUERY' AND json_extract(body, '$.data.verdict') = 'refused'"),
        cpuMs: cpu,
      },
      products: {
        exportRequests: verdicts,
        bundles: count("kind = 'BUNDLE_CREATED'"),
        callsServed: count("kind = 'PRODUCT_CALL' AND CAST(json_extract(body, '$.data.status') AS INTEGER) = 200 AND json_extract(body, '$.data.op') = 'call'"),
        callsRefused: count("kind = 'PRODUCT_CALL' AND CAST(json_extract(body, '$.data.status') AS INTEGER) <> 200"),
        consumers,
        scenarios: a.scenarios,
      },
      security: {
        refusals,
        riskStopsRaised: count("kind = 'RISK_STOP_RAISED'"),
        riskStopsOpen: store.get<{ n: number }>("SELECT count(*) AS n FROM risk_stops WHERE tenant = ? AND state = 'open'", tenant)!.n,
        drills: store.get<{ n: number }>(
          'SELECT count(*) AS n FROM drills WHERE tenant = ? AND held_on >= ? AND held_on < ?',
          tenant,
          `${year}-01-01`,
          `${year + 1}-01-01`,
        )!.n,
        governanceReported: count("kind = 'GOVERNANCE_REPORTED'"),
        governanceOverdue: this.governance.overdueCounts().get(tenant) ?? 0,
      },
      market: market ? (JSON.parse(market) as YearFacts['market']) : null,
    };
  }

  /** Writes the report (HTML, PDF) and its signed manifest; the authority generates it. */
  async generate(p: Principal, tenant: string, year: number): Promise<ReportView> {
    const { ctx } = this;
    checkRole(p, 'admin', 'reviewer', 'security');
    checkYear(year);
    const facts = this.facts(tenant, year);
    const html = renderReport(facts);
    const pdf = await printPdf(html);
    const dir = join(ctx.paths.root, 'reports', `${tenant}-${year}`);
    const tmp = `${dir}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    try {
      writeFileSync(join(tmp, 'report.html'), html);
      writeFileSync(join(tmp, 'report.pdf'), pdf);
      const files = [
        { name: 'report.html', sha256: sha256(html) },
        { name: 'report.pdf', sha256: sha256(pdf) },
      ];
      const manifest = `${JSON.stringify({ format: 'opdomain-yearly-report/1', tenant, org: facts.org, year, generatedAt: facts.generatedAt, generatedBy: p.user, files }, null, 2)}\n`;
      writeFileSync(join(tmp, 'manifest.json'), manifest);
      const jws = await new CompactSign(Buffer.from(manifest, 'utf8'))
        .setProtectedHeader({ alg: 'EdDSA', kid: ctx.domainKey.kid, typ: 'opdomain-report+jws' })
        .sign(ctx.domainKey.privateKey);
      writeFileSync(join(tmp, 'manifest.jws'), `${jws}\n`);
      rmSync(dir, { recursive: true, force: true });
      renameSync(tmp, dir);
      ctx.store.tx(() => {
        ctx.store.run(
          `INSERT INTO yearly_reports (tenant, year, html_sha256, pdf_sha256, jws, path, generated_by, generated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (tenant, year) DO UPDATE SET html_sha256 = excluded.html_sha256, pdf_sha256 = excluded.pdf_sha256, jws = excluded.jws, path = excluded.path, generated_by = excluded.generated_by, generated_at = excluded.generated_at`,
          tenant,
          year,
          files[0]!.sha256,
          files[1]!.sha256,
          jws,
          dir,
          p.user,
          facts.generatedAt,
        );
        ctx.audit.append({
          kind: EVENTS.REPORT_GENERATED,
          actor: p.user,
          tenant,
          subject: `${tenant}/${year}`,
          data: { step: 'generated', files, manifestSha256: sha256(manifest) },
        });
      });
      return { tenant, year, facts, files: files.map((f) => ({ ...f, path: join(dir, f.name) })), jws };
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      throw err;
    }
  }

  /** The generated report's files (the operator of the authorization and the authority). */
  get(p: Principal, tenant: string, year: number): { html: string; pdf: Buffer; manifest: string; jws: string } {
    checkTenantScope(p, tenant);
    const r = this.ctx.store.get<{ path: string | null }>('SELECT path FROM yearly_reports WHERE tenant = ? AND year = ?', tenant, year);
    if (!r?.path || !existsSync(join(r.path, 'report.html'))) throw new OpError('REPORT_NOT_FOUND');
    return {
      html: readFileSync(join(r.path, 'report.html'), 'utf8'),
      pdf: readFileSync(join(r.path, 'report.pdf')),
      manifest: readFileSync(join(r.path, 'manifest.json'), 'utf8'),
      jws: readFileSync(join(r.path, 'manifest.jws'), 'utf8').trim(),
    };
  }

  /** The authority scores the year (records plus the reviewers' input); kept per organisation. */
  evaluate(p: Principal, tenant: string, year: number, reviewer: { score?: unknown; notes?: unknown }): EvaluationView {
    const { ctx } = this;
    checkRole(p, 'reviewer', 'admin');
    checkYear(year);
    const score = reviewer?.score;
    if (typeof score !== 'number' || !Number.isFinite(score) || score < 0 || score > 100)
      throw new OpError('BAD_REQUEST', "the reviewers' score is a number from 0 to 100");
    const notes = typeof reviewer.notes === 'string' && reviewer.notes.trim().length >= 10 ? reviewer.notes.trim().slice(0, 4000) : null;
    if (!notes) throw new OpError('BAD_REQUEST', "the reviewers' notes say why (at least 10 characters)");
    const facts = this.facts(tenant, year);
    const result = evaluate(facts, { score, notes });
    const at = new Date().toISOString();
    ctx.store.tx(() => {
      ctx.store.run(
        `INSERT INTO evaluations (tenant, year, org, score, criteria, reviewer_input, evaluated_by, evaluated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (tenant, year) DO UPDATE SET score = excluded.score, criteria = excluded.criteria, reviewer_input = excluded.reviewer_input, evaluated_by = excluded.evaluated_by, evaluated_at = excluded.evaluated_at`,
        tenant,
        year,
        facts.org,
        result.score,
        JSON.stringify(result.criteria),
        JSON.stringify({ score, notes }),
        p.user,
        at,
      );
      ctx.audit.append({
        kind: EVENTS.EVALUATION_RECORDED,
        actor: p.user,
        tenant,
        subject: `${tenant}/${year}`,
        data: { score: result.score, org: facts.org },
      });
    });
    return { tenant, org: facts.org, year, score: result.score, criteria: result.criteria, evaluatedBy: p.user, evaluatedAt: at };
  }

  /** An organisation's evaluations, newest first (shown when it applies again, R15). */
  evaluations(p: Principal, org: string): EvaluationView[] {
    checkRole(p, 'reviewer', 'admin', 'security');
    return this.ctx.store
      .all<{ tenant: string; org: string; year: number; score: number; criteria: string; evaluated_by: string; evaluated_at: string }>(
        'SELECT * FROM evaluations WHERE org = ? ORDER BY year DESC, evaluated_at DESC',
        org,
      )
      .map((r) => ({
        tenant: r.tenant,
        org: r.org,
        year: r.year,
        score: r.score,
        criteria: JSON.parse(r.criteria) as Criterion[],
        evaluatedBy: r.evaluated_by,
        evaluatedAt: r.evaluated_at,
      }));
  }
}

function checkYear(year: number): void {
  if (!Number.isInteger(year) || year < 2000 || year > 2100) throw new OpError('BAD_REQUEST', 'year must be a calendar year');
}

/** Prints the page with headless Chromium (Debian's, as the console tests use). */
async function printPdf(html: string): Promise<Buffer> {
  const executablePath = process.env.OPDOMAIN_CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(executablePath)) throw new OpError('REPORT_PDF_UNAVAILABLE');
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
  try {
    const page = await browser.newPage();
    // The page has no script and no external resource; nothing is fetched.
    await page.setContent(html, { waitUntil: 'load' });
    return await page.pdf({ format: 'A4', printBackground: true, margin: { top: '16mm', bottom: '16mm', left: '14mm', right: '14mm' } });
  } finally {
    await browser.close();
  }
}
