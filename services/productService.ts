// Product versions: an operator proposes a gated template; the automatic report runs it over
// sample parameters through the full export check and through the call-time controls; reviewers
// approve it N-of-M (never its proposer; two for important data or a report asking for review);
// the authority revokes. Each change commits with its audit event; who may act is the table's
// (products/states.ts), and views carry the actions the caller has.
import { OpError } from '../errors/index.ts';
import { findDataset } from '../datasets/index.ts';
import { operatorRules, runChecks, withCheckContext, worst, type RuleResult, type Verdict } from '../exports/index.ts';
import { EVENTS } from '../lineage/index.ts';
import {
  checkTemplateParameters,
  parseProductSpec,
  productOpenApi,
  sampleParams,
  versionHash,
  PRODUCTS,
  SERVED_STATES,
  type ProductAction,
  type ProductSpec,
  type ProductState,
} from '../products/index.ts';
import { resolveLimits } from '../sandbox/index.ts';
import type { DomainContext } from './context.ts';
import { checkReason } from './reasons.ts';
import { canSeeTenant, checkRole, type Principal } from './principal.ts';
import { checkVoter, voteAction } from './votes.ts';

export interface SampleRun {
  readonly params: Record<string, unknown>;
  readonly rows: number;
  readonly returned: number;
  readonly suppressed: number;
  readonly verdict: Verdict;
  readonly rules: readonly RuleResult[];
  readonly error?: { readonly code: string; readonly message: string };
}

export interface ProductReport {
  readonly verdict: Verdict;
  readonly tables: readonly string[];
  readonly samples: readonly SampleRun[];
}

export interface ProductVersionView {
  readonly product: string;
  readonly version: number;
  readonly hash: string;
  readonly tenant: string;
  readonly scenario: string;
  readonly state: ProductState;
  readonly proposer: string;
  readonly requiredApprovals: number;
  readonly votes: readonly { reviewer: string; decision: string; comment: string | null; at: string }[];
  readonly spec: ProductSpec;
  readonly report: ProductReport;
  /** What the caller may do now (the console shows these and only these). */
  readonly actions: readonly ProductAction[];
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface VersionRow {
  product: string;
  version: number;
  hash: string;
  tenant: string;
  scenario: string;
  spec: string;
  state: ProductState;
  proposer: string;
  required_approvals: number;
  report: string;
  tables: string;
  created_at: string;
  updated_at: string;
}

type Vote = { reviewer: string; decision: string; comment: string | null; at: string };

const CALL_TIMEOUT_MS = 10_000;

/** Blocks no argument lifts for a product: identifiers, reversible tokens, core data. */
function reportVerdict(samples: readonly SampleRun[]): Verdict {
  return worst(samples.map((s) => ({ rule: 'sample', verdict: s.error ? 'block' : s.verdict, reason: '' })));
}

export class ProductService {
  constructor(private readonly ctx: DomainContext) {}

  /** Runs the template over sample parameters: the export check on each result, and the call-time controls. */
  private async report(tenant: string, spec: ProductSpec): Promise<ProductReport> {
    const { ctx } = this;
    const auth = ctx.authorizations.get(tenant);
    const limits = resolveLimits(auth.limits);
    const thresholds = ctx.authorizations.effectiveThresholds(tenant);
    const statement = await ctx.productEngine.inspect(ctx.paths.tenantDb(tenant, 'prod'), limits, spec.sql);
    checkTemplateParameters(statement.tree, spec);
    const samples: SampleRun[] = [];
    for (const params of sampleParams(spec)) {
      try {
        const called = await ctx.productEngine.call({
          dbPath: ctx.paths.tenantDb(tenant, 'prod'),
          limits,
          tenant,
          sql: spec.sql,
          params,
          thresholds,
          controls: spec.controls,
          timeoutMs: CALL_TIMEOUT_MS,
        });
        const names = called.columns;
        const want = spec.columns.map((c) => c.name);
        if (names.join('\u0001') !== want.join('\u0001'))
          throw new OpError('PRODUCT_INVALID', `the template returns the columns ${names.join(', ')}; the proposal declares ${want.join(', ')}`);
        // The declared unit of privacy must be one the cells are measured by.
        if (!called.unitKinds.includes(spec.unit))
          throw new OpError(
            'PRODUCT_INVALID',
            `the template's cells are measured per ${called.unitKinds.join(' and ') || 'nothing'}, not per ${spec.unit}: declare the unit its tables count`,
          );
        // The export check judges what a call would return: the rows the controls keep (before rounding, which only coarsens them).
        const rows = called.kept.map((i) => called.all.rows[i]!);
        const check = await withCheckContext(
          {
            rawPath: ctx.paths.rawDb,
            tenantProdPath: ctx.paths.tenantDb(tenant, 'prod'),
            tenant,
            queries: [{ sql: spec.sql, params }],
            thresholds,
            output: { name: spec.product, columns: called.all.columns, rows },
          },
          (c) => runChecks(c),
        );
        samples.push({
          params,
          rows: called.all.rows.length,
          returned: called.rows.length,
          suppressed: called.suppressed,
          verdict: check.verdict,
          rules: check.rules,
        });
      } catch (err) {
        if (err instanceof OpError && err.code === 'PRODUCT_INVALID') throw err;
        const e = err instanceof OpError ? err : new OpError('PRODUCT_CALL_FAILED');
        samples.push({ params, rows: 0, returned: 0, suppressed: 0, verdict: 'block', rules: [], error: { code: e.code, message: e.message } });
      }
    }
    return { verdict: reportVerdict(samples), tables: statement.tables, samples };
  }

  async propose(p: Principal, input: unknown): Promise<ProductVersionView> {
    const { ctx } = this;
    checkRole(p, 'operator');
    const spec = parseProductSpec(input);
    const tenant = p.tenant!;
    const auth = ctx.authorizations.checkOperable(tenant);
    if (!auth.scenarios.includes(spec.scenario))
      throw new OpError('EXPORT_SCENARIO_NOT_GRANTED', `scenario "${spec.scenario.slice(0, 64)}" is not one of this authorization's scenarios`);
    const owner = ctx.store.get<{ tenant: string }>('SELECT tenant FROM product_versions WHERE product = ? LIMIT 1', spec.product);
    if (owner && owner.tenant !== tenant) throw new OpError('PRODUCT_INVALID', `the product id "${spec.product}" belongs to another authorization`);
    const hash = versionHash(spec);
    const same = ctx.store.get<{ version: number }>('SELECT version FROM product_versions WHERE hash = ?', hash);
    if (same) throw new OpError('PRODUCT_INVALID', `this exact proposal is version ${same.version} already`);
    const report = await this.report(tenant, spec);
    if (report.verdict === 'block') {
      const samples = report.samples.map((s) => ({ params: s.params, error: s.error, rules: operatorRules(s.rules).filter((r) => r.verdict === 'block') }));
      throw new OpError('PRODUCT_BLOCKED', 'the automatic report blocks this template over its sample parameters; revise it', { samples });
    }
    const important = report.tables.some((t) => findDataset(t)?.grade === 'important');
    const required = report.verdict === 'review' || important ? 2 : 1;
    const at = new Date().toISOString();
    const version = ctx.store.tx(() => {
      const n = (ctx.store.get<{ n: number | null }>('SELECT max(version) AS n FROM product_versions WHERE product = ?', spec.product)?.n ?? 0) + 1;
      ctx.store.run(
        'INSERT INTO product_versions (product, version, hash, tenant, scenario, spec, state, proposer, required_approvals, report, tables, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        spec.product,
        n,
        hash,
        tenant,
        spec.scenario,
        JSON.stringify(spec),
        'submitted',
        p.user,
        required,
        JSON.stringify(report),
        JSON.stringify(report.tables),
        at,
        at,
      );
      ctx.audit.append({
        kind: EVENTS.PRODUCT_PROPOSED,
        actor: p.user,
        tenant,
        subject: `${spec.product}/v${n}`,
        data: {
          product: spec.product,
          version: n,
          hash,
          scenario: spec.scenario,
          tables: report.tables,
          buildId: auth.build?.buildId ?? null,
          verdict: report.verdict,
          requiredApprovals: required,
        },
      });
      return n;
    });
    return this.get(p, spec.product, version);
  }

  find(product: string, version: number): VersionRow | undefined {
    return this.ctx.store.get<VersionRow>('SELECT * FROM product_versions WHERE product = ? AND version = ?', product, version);
  }

  row(product: string, version: number): VersionRow {
    const r = this.find(product, version);
    if (!r) throw new OpError('PRODUCT_NOT_FOUND', `no product version ${String(product).slice(0, 60)}/v${version}`);
    return r;
  }

  private readonly specs = new Map<string, ProductSpec>();

  /** A version's spec; versions are immutable, so it is parsed once per hash (every call reads it). */
  specOf(r: VersionRow): ProductSpec {
    let spec = this.specs.get(r.hash);
    if (!spec) {
      spec = JSON.parse(r.spec) as ProductSpec;
      if (this.specs.size >= 1000) this.specs.delete(this.specs.keys().next().value!);
      this.specs.set(r.hash, spec);
    }
    return spec;
  }

  private visibleRow(p: Principal, product: string, version: number): VersionRow {
    const r = this.row(product, version);
    if (!canSeeTenant(p, r.tenant)) throw new OpError('PRODUCT_NOT_FOUND', `no product version ${product.slice(0, 60)}/v${version}`);
    return r;
  }

  /** The votes of several versions in one query (a list of versions is one read, not one per row). */
  private votesOf(rows: readonly VersionRow[]): Map<string, Vote[]> {
    const out = new Map<string, Vote[]>();
    const products = [...new Set(rows.map((r) => r.product))];
    if (products.length === 0) return out;
    const marks = products.map(() => '?').join(', ');
    for (const v of this.ctx.store.all<Vote & { product: string; version: number }>(
      `SELECT product, version, reviewer, decision, comment, at FROM product_votes WHERE product IN (${marks}) ORDER BY at`,
      ...products,
    )) {
      const { product, version, ...vote } = v;
      const k = `${product}/v${version}`;
      out.set(k, [...(out.get(k) ?? []), vote]);
    }
    return out;
  }

  private view(r: VersionRow, p: Principal, votes: readonly Vote[] = this.votesOf([r]).get(`${r.product}/v${r.version}`) ?? []): ProductVersionView {
    // Independent votes: a reviewer sees the others' only after casting one's own.
    const blind = p.role === 'reviewer' && !votes.some((v) => v.reviewer === p.user) && !['approved', 'rejected', 'revoked', 'withdrawn'].includes(r.state);
    const report = JSON.parse(r.report) as ProductReport;
    const operator = p.role === 'operator';
    // The table decides role and proposer; one vote per reviewer; approving is one button whether or not it is the last vote.
    const voted = votes.some((v) => v.reviewer === p.user);
    const actions = [...new Set(PRODUCTS.actions(r.state, p, r.proposer).map((a) => (a === 'vote_approve' ? 'approve' : a)))].filter(
      (a) => !(voted && (a === 'approve' || a === 'return' || a === 'reject')),
    );
    return {
      product: r.product,
      version: r.version,
      hash: r.hash,
      tenant: r.tenant,
      scenario: r.scenario,
      state: r.state,
      proposer: r.proposer,
      requiredApprovals: r.required_approvals,
      votes: blind ? [] : votes,
      spec: this.specOf(r),
      // Operators work on prod data: the report's reasons speak of it only in data-free words (R23).
      report: operator ? { ...report, samples: report.samples.map((s) => ({ ...s, rules: operatorRules(s.rules) })) } : report,
      actions,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    };
  }

  get(p: Principal, product: string, version: number): ProductVersionView {
    return this.view(this.visibleRow(p, product, version), p);
  }

  list(p: Principal, filter: { state?: string; product?: string } = {}): ProductVersionView[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (p.role === 'operator') {
      where.push('tenant = ?');
      params.push(p.tenant);
    }
    if (filter.state) {
      where.push('state = ?');
      params.push(filter.state);
    }
    if (filter.product) {
      where.push('product = ?');
      params.push(filter.product);
    }
    const rows = this.ctx.store.all<VersionRow>(
      `SELECT * FROM product_versions ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC LIMIT 1000`,
      ...params,
    );
    const votes = this.votesOf(rows);
    return rows.map((r) => this.view(r, p, votes.get(`${r.product}/v${r.version}`) ?? []));
  }

  /** approve | return | reject by a reviewer; the version is served once enough approvals are in. */
  decide(p: Principal, product: string, version: number, decision: 'approve' | 'return' | 'reject', comment?: string): ProductVersionView {
    const { ctx } = this;
    checkVoter(p, this.visibleRow(p, product, version).proposer, 'PRODUCT_SELF_APPROVAL', decision, comment);
    ctx.store.tx(() => {
      const r = this.row(product, version);
      if (ctx.store.get('SELECT 1 FROM product_votes WHERE product = ? AND version = ? AND reviewer = ?', product, version, p.user))
        throw new OpError('PRODUCT_ALREADY_VOTED');
      const approvals = ctx.store.get<{ n: number }>(
        "SELECT count(*) AS n FROM product_votes WHERE product = ? AND version = ? AND decision = 'approve'",
        product,
        version,
      )!.n;
      const action: ProductAction = voteAction(decision, approvals, r.required_approvals);
      const to = PRODUCTS.check(r.state, action, p, r.proposer);
      ctx.store.run(
        'INSERT INTO product_votes (product, version, reviewer, decision, comment, at) VALUES (?, ?, ?, ?, ?, ?)',
        product,
        version,
        p.user,
        decision,
        comment ?? null,
        new Date().toISOString(),
      );
      ctx.audit.append({
        kind: EVENTS.PRODUCT_VOTE,
        actor: p.user,
        tenant: r.tenant,
        subject: `${product}/v${version}`,
        data: { product, version, hash: r.hash, decision, approvals: approvals + (decision === 'approve' ? 1 : 0), required: r.required_approvals },
      });
      this.setState(r, to, action, p.user);
    });
    return this.get(p, product, version);
  }

  /** The proposer takes back a version not yet decided. */
  withdraw(p: Principal, product: string, version: number): ProductVersionView {
    // The table refuses anyone but the proposer.
    this.visibleRow(p, product, version);
    this.move(product, version, 'withdraw', p);
    return this.get(p, product, version);
  }

  /** approved → revoked by the authority: the next call is refused, cached answers included. */
  revoke(p: Principal, product: string, version: number, reason: unknown): ProductVersionView {
    const why = checkReason(reason, 'revoke a product version');
    this.visibleRow(p, product, version);
    this.move(product, version, 'revoke', p, { reason: why });
    return this.get(p, product, version);
  }

  private move(product: string, version: number, action: ProductAction, p: Principal, extra: Record<string, unknown> = {}): void {
    this.ctx.store.tx(() => {
      const r = this.row(product, version);
      const to = PRODUCTS.check(r.state, action, p, r.proposer);
      this.setState(r, to, action, p.user, extra);
    });
  }

  private setState(r: VersionRow, to: ProductState, action: ProductAction, actor: string, extra: Record<string, unknown> = {}): void {
    if (to === r.state) return;
    this.ctx.store.run(
      'UPDATE product_versions SET state = ?, updated_at = ? WHERE product = ? AND version = ?',
      to,
      new Date().toISOString(),
      r.product,
      r.version,
    );
    this.ctx.audit.append({
      kind: EVENTS.PRODUCT_STATE_CHANGED,
      actor,
      tenant: r.tenant,
      subject: `${r.product}/v${r.version}`,
      data: { product: r.product, version: r.version, hash: r.hash, from: r.state, to, action, ...extra },
    });
  }

  /** The version's OpenAPI document (served versions only, to anyone: it names no data). */
  openApi(product: string, version: number): Record<string, unknown> {
    const r = this.row(product, version);
    if (!SERVED_STATES.has(r.state)) throw new OpError('PRODUCT_NOT_FOUND', `product ${product.slice(0, 60)}/v${version} is not served`);
    return productOpenApi(this.specOf(r), r.version, r.hash);
  }
}
