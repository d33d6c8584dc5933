// One open data home: the control store, audit log, keys, services and the job supervisor.
// The CLI and the HTTP gateway are both thin clients of this one core.
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { Authorizations, DatasetVersions, People } from '../domain/index.ts';
import { AuditLog, EVENTS, loadOrCreateSigningKey } from '../lineage/index.ts';
import { Supervisor } from '../sandbox/index.ts';
import { ProductEngine } from '../products/index.ts';
import { RateCounter, homePaths, openStore } from '../store/index.ts';
import type { DomainContext } from './context.ts';
import { RiskService } from './riskService.ts';
import { CatalogService } from './catalogService.ts';
import { ImportService } from './importService.ts';
import { PsiService } from './psiService.ts';
import type { DpBudgetService } from './dpBudgetService.ts';
import { ExportQueue } from './exportQueue.ts';
import { OpError } from '../errors/index.ts';
import { PeopleService } from './peopleService.ts';
import { SupervisionService } from './supervisionService.ts';
import { Identity, identityProviderFromEnv, openProvider, type IdentityProviderConfig } from './identity.ts';
import { Jobs } from './jobs.ts';
import { LineageService } from './lineageService.ts';
import { TenantService } from './tenantService.ts';
import { ProductService } from './productService.ts';
import { ConsumerService } from './consumerService.ts';
import { ProductCalls } from './productCalls.ts';
import { GovernanceService } from './governanceService.ts';
import { DemandService } from './demandService.ts';
import { RecordsService } from './recordsService.ts';
import { ReportService } from './reportService.ts';
import type { Principal } from './principal.ts';
import { NotificationService } from './notificationService.ts';
import { NodeService } from './nodeService.ts';
import { WorkerNode, type WorkerNodeOptions } from './workerNode.ts';

export interface OpenOptions {
  readonly home?: string;
  /** Warm job workers (the gateway keeps some; a one-shot CLI command needs none). */
  readonly workerPool?: number;
  /** The province's identity provider (default: from OPDOMAIN_IDP_* environment variables). */
  readonly identityProvider?: IdentityProviderConfig;
  /** The PostgreSQL control store (default: OPDOMAIN_DATABASE_URL; unset, the home's embedded file). */
  readonly databaseUrl?: string;
  /**
   * Where jobs run: in this process's own workers (`here`, the default), or on worker nodes
   * through the control store's queue (`nodes`; default from OPDOMAIN_JOBS).
   */
  readonly jobsOn?: 'here' | 'nodes';
}

function jobsOnFromEnv(): 'here' | 'nodes' {
  const v = process.env.OPDOMAIN_JOBS;
  if (v === undefined || v === '' || v === 'here') return 'here';
  if (v === 'nodes') return 'nodes';
  throw new OpError('BAD_REQUEST', 'OPDOMAIN_JOBS must be "here" or "nodes"');
}

export class Opdomain {
  readonly jobs: Jobs;
  readonly exports: ExportQueue;
  readonly lineage: LineageService;
  readonly catalog: CatalogService;
  readonly tenants: TenantService;
  readonly people: PeopleService;
  readonly supervision: SupervisionService;
  readonly risks: RiskService;
  readonly nodes: NodeService;
  readonly products: ProductService;
  readonly consumers: ConsumerService;
  readonly productCalls: ProductCalls;
  readonly governance: GovernanceService;
  readonly demands: DemandService;
  readonly records: RecordsService;
  readonly reports: ReportService;
  readonly imports: ImportService;
  readonly psi: PsiService;
  readonly dp: DpBudgetService;
  readonly notifications: NotificationService;

  private constructor(readonly ctx: DomainContext) {
    this.jobs = new Jobs(ctx);
    this.people = new PeopleService(ctx);
    this.governance = new GovernanceService(ctx, this.jobs);
    this.records = new RecordsService(ctx);
    this.demands = new DemandService(ctx);
    this.reports = new ReportService(ctx, this.governance);
    this.supervision = new SupervisionService(ctx, {
      governanceOverdue: () => this.governance.overdueCounts(),
      drillStatus: (t) => this.records.drillStatus(t),
    });
    ctx.authorizations.onStopped = (id, actor, reason) => this.jobs.stopAll(id, actor, reason);
    this.exports = new ExportQueue(ctx, this.jobs);
    this.lineage = new LineageService(ctx);
    this.catalog = new CatalogService(ctx);
    this.imports = new ImportService(ctx);
    this.psi = new PsiService(ctx, this.imports);
    this.dp = this.jobs.budgets;
    this.tenants = new TenantService(ctx);
    this.risks = new RiskService(ctx, this.jobs);
    this.nodes = new NodeService(ctx, this.jobs.queue);
    // An open risk stop holds new processing in its authorization.
    this.jobs.beforeStart = (tenant) => this.risks.checkNoOpenStop(tenant);
    this.products = new ProductService(ctx);
    this.consumers = new ConsumerService(ctx);
    // A risk stop holds product calls too: they are processing of the authorization's data.
    this.notifications = new NotificationService(this);
    this.productCalls = new ProductCalls(ctx, this.products, this.consumers, (tenant) => this.risks.checkNoOpenStop(tenant));
    // The domain raises a risk stop itself when refusals add up to a pattern (authority/riskPatterns.ts).
    const watch = (tenant: string) => {
      try {
        this.risks.watch(tenant);
      } catch {
        // A watch that fails must not fail the refusal that triggered it.
      }
    };
    this.jobs.afterRefusal = watch;
    this.exports.afterBlock = watch;
    this.productCalls.afterDifferencing = watch;
  }

  static async open(opts: OpenOptions = {}): Promise<Opdomain> {
    // A bad identity provider configuration fails before anything is opened.
    const idp = opts.identityProvider ?? identityProviderFromEnv();
    const provider = idp ? openProvider(idp) : undefined;
    const paths = homePaths(opts.home);
    for (const d of [paths.root, paths.raw, paths.tenants, paths.control, paths.keys, paths.audit, paths.exports]) mkdirSync(d, { recursive: true });
    const store = openStore(paths, opts.databaseUrl);
    const domainKey = await loadOrCreateSigningKey(paths.keys, 'domain-signing');
    const audit = new AuditLog(store, domainKey);
    const people = new People(store, audit);
    const versions = new DatasetVersions(store, audit);
    const authorizations = new Authorizations(store, audit, paths, versions);
    const identity = await Identity.open(store, people, paths.keys, provider);
    const supervisor = new Supervisor({ poolSize: opts.workerPool ?? 0 });
    // Request counters: beside the embedded file, or in the shared PostgreSQL store.
    const rates = new RateCounter(store.dialect === 'postgres' ? store : paths.controlDb);
    const od = new Opdomain({
      paths,
      store,
      audit,
      domainKey,
      people,
      authorizations,
      versions,
      identity,
      supervisor,
      productEngine: new ProductEngine(),
      rates,
    });
    od.jobs.queued = (opts.jobsOn ?? jobsOnFromEnv()) === 'nodes';
    return od;
  }

  /**
   * Resolves the caller: a bearer token, or `--as NAME` through the dev issuer (same
   * verification path). The first use of a token in this process is audited as a sign-in.
   */
  async principal(auth: { token?: string; as?: string; via?: string }): Promise<Principal> {
    const token = auth.as !== undefined ? await this.ctx.identity.issueDevToken(auth.as) : auth.token;
    const p = await this.ctx.identity.verify(token);
    // Suspension, termination, expiry and sealing take effect at once: the tenant's tokens stop working.
    if (p.role === 'operator' && p.tenant) {
      const a = this.ctx.authorizations.find(p.tenant) ? this.ctx.authorizations.current(p.tenant) : undefined;
      if (!a || !['pending', 'active'].includes(a.state))
        throw new OpError('TENANT_NOT_ACTIVE', `authorization "${p.tenant}" is ${a?.state ?? 'unknown'}; its operators' tokens are refused`);
    }
    const id = createHash('sha256').update(token!).digest('hex').slice(0, 32);
    if (!this.signedIn.has(id)) {
      if (this.signedIn.size > 10_000) this.signedIn.clear();
      this.signedIn.add(id);
      this.ctx.audit.append({
        kind: EVENTS.SIGN_IN,
        actor: p.user,
        tenant: p.tenant,
        data: { role: p.role, token: id, via: auth.via ?? (auth.as !== undefined ? 'cli --as' : 'bearer token') },
      });
    }
    return p;
  }

  private readonly signedIn = new Set<string>();

  /** Completes the identity provider's login: its token, once it passes every check of principal() (audited as the sign-in). */
  async signInWithCode(input: { code: string; codeVerifier: string; redirectUri: string }): Promise<{ token: string } & Principal> {
    const token = await this.ctx.identity.exchangeCode(input);
    return { token, ...(await this.principal({ token, via: 'identity provider login' })) };
  }

  /** The domain's public keys (bundle and checkpoint signatures) as a JWKS. */
  jwks(): { keys: unknown[] } {
    return { keys: [this.ctx.domainKey.publicJwk] };
  }

  /** Makes this process a worker node: it takes jobs from the control store's queue until stopped. */
  startNode(opts: WorkerNodeOptions = {}): WorkerNode {
    const node = new WorkerNode(this.jobs, opts);
    node.start();
    return node;
  }

  async close(): Promise<void> {
    this.imports.close();
    await this.ctx.supervisor.close();
    this.jobs.close();
    await this.ctx.productEngine.close();
    if (this.ctx.audit.size() > 0) await this.ctx.audit.checkpoint().catch(() => undefined);
    this.ctx.rates.close();
    this.ctx.store.close();
  }
}
