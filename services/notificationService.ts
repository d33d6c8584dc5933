// What waits for me, and what changed on what I filed: one feed for the console's inbox, the
// HTTP API and the CLI. "Waiting" is every object whose actions — computed by each service from
// its state table and who may act — hold something more than withdrawing or revoking; "changed"
// is what the caller filed that moved in the last days. Nothing here decides who may act.
import type { ExportQueue } from './exportQueue.ts';
import type { ProductService } from './productService.ts';
import type { ImportService } from './importService.ts';
import type { RiskService } from './riskService.ts';
import type { DemandService } from './demandService.ts';
import type { GovernanceService } from './governanceService.ts';
import type { Principal } from './principal.ts';
import { OpError } from '../errors/index.ts';

export type NoticeKind = 'export' | 'product' | 'import' | 'risk' | 'demand' | 'governance';

export interface Notice {
  readonly kind: NoticeKind;
  readonly id: string;
  readonly tenant: string;
  /** A line a person reads: what it is (English; `about` holds its parts for other languages). */
  readonly title: string;
  /** The names the title is made of (output and scenario, product and version, dataset, tenant). */
  readonly about: Readonly<Record<string, string>>;
  readonly state: string;
  /** What the caller may do with it now (the services' own answer). */
  readonly actions: readonly string[];
  readonly at: string;
  /** Where the console shows it. */
  readonly link: string;
}

export interface Notifications {
  readonly waiting: readonly Notice[];
  readonly changed: readonly Notice[];
  readonly since: string;
}

/** Acts always open on a live object: they do not make it wait for anyone. */
const PASSIVE = new Set(['withdraw', 'revoke']);
export const MAX_NOTICE_DAYS = 90;

interface Sources {
  readonly exports: ExportQueue;
  readonly products: ProductService;
  readonly imports: ImportService;
  readonly risks: RiskService;
  readonly demands: DemandService;
  readonly governance: GovernanceService;
}

interface Item extends Notice {
  readonly filedBy: string;
  readonly changedAt: string | null;
}

export class NotificationService {
  constructor(private readonly from: Sources) {}

  /** The caller's feed; `days` bounds "changed" (1 to 90, default 7). */
  feed(p: Principal, days = 7): Notifications {
    if (!Number.isInteger(days) || days < 1 || days > MAX_NOTICE_DAYS) throw new OpError('BAD_REQUEST', `days is a whole number from 1 to ${MAX_NOTICE_DAYS}`);
    const since = new Date(Date.now() - days * 86_400_000).toISOString();
    const items = this.items(p);
    const notice = ({ filedBy: _f, changedAt: _c, ...n }: Item): Notice => n;
    const newest = (a: Notice, b: Notice) => b.at.localeCompare(a.at);
    return {
      waiting: items
        .filter((i) => i.actions.some((a) => !PASSIVE.has(a)))
        .map(notice)
        .sort(newest),
      changed: items
        .filter((i) => i.filedBy === p.user && i.changedAt !== null && i.changedAt >= since)
        .map(notice)
        .sort(newest),
      since,
    };
  }

  /** The title of each kind from its parts: the console builds the same line from `about` in its own language. */
  private static readonly TITLES: Readonly<Record<NoticeKind, (a: Record<string, string>) => string>> = {
    export: (a) => `export of ${a.output} (${a.scenario})`,
    product: (a) => `product ${a.product} v${a.version}`,
    import: (a) => `import of ${a.dataset}`,
    risk: (a) => `risk stop in ${a.tenant}`,
    demand: (a) => `data demand list of ${a.tenant}`,
    governance: (a) => `data problem in ${a.dataset}`,
  };

  private items(p: Principal): Item[] {
    const { exports, products, imports, risks, demands, governance } = this.from;
    const moved = (created: string, updated: string) => (updated > created ? updated : null);
    const titled = (kind: NoticeKind, about: Record<string, string>) => ({ title: NotificationService.TITLES[kind](about), about });
    return [
      ...exports.summaries(p).map((r) => ({
        kind: 'export' as const,
        id: r.id,
        tenant: r.tenant,
        ...titled('export', { output: r.output, scenario: r.scenario }),
        state: r.state,
        actions: r.actions,
        at: r.updatedAt,
        link: `#/request/${r.id}`,
        filedBy: r.requester,
        changedAt: moved(r.createdAt, r.updatedAt),
      })),
      ...products.list(p).map((v) => ({
        kind: 'product' as const,
        id: `${v.product}/v${v.version}`,
        tenant: v.tenant,
        ...titled('product', { product: v.product, version: String(v.version) }),
        state: v.state,
        actions: v.actions,
        at: v.updatedAt,
        link: '#/products',
        filedBy: v.proposer,
        changedAt: moved(v.createdAt, v.updatedAt),
      })),
      ...imports.list(p).map((r) => ({
        kind: 'import' as const,
        id: r.id,
        tenant: r.tenant,
        ...titled('import', { dataset: r.dataset }),
        state: r.state,
        actions: r.actions,
        at: r.updatedAt,
        link: '#/own',
        filedBy: r.filedBy,
        changedAt: moved(r.createdAt, r.updatedAt),
      })),
      ...risks.list(p).map((s) => ({
        kind: 'risk' as const,
        id: s.id,
        tenant: s.tenant,
        ...titled('risk', { tenant: s.tenant }),
        state: s.state,
        actions: s.actions,
        at: s.decidedAt ?? s.raisedAt,
        link: '#/duties',
        filedBy: s.raisedBy,
        changedAt: s.decidedAt,
      })),
      ...demands.list(p).map((l) => ({
        kind: 'demand' as const,
        id: l.id,
        tenant: l.tenant,
        ...titled('demand', { tenant: l.tenant }),
        state: l.state,
        actions: l.actions,
        at: l.updatedAt,
        link: '#/duties',
        filedBy: l.filedBy,
        changedAt: moved(l.createdAt, l.updatedAt),
      })),
      ...governance.list(p).map((g) => ({
        kind: 'governance' as const,
        id: g.id,
        tenant: g.tenant,
        ...titled('governance', { dataset: g.dataset }),
        state: g.state,
        actions: g.actions,
        at: g.updatedAt,
        link: '#/duties',
        filedBy: g.reporter,
        changedAt: moved(g.createdAt, g.updatedAt),
      })),
    ];
  }
}
