// Worker nodes and where each authorization's jobs run: the live nodes (with their leases), and
// an administrator's placement of an authorization on a node. A placement names the node whose
// claims take the authorization's jobs and records the hashes of its files as they were when it
// moved; it waits for the authorization's queued and running jobs to end, so no job is lost.
import { existsSync } from 'node:fs';
import { sha256File } from '../datasets/index.ts';
import { OpError } from '../errors/index.ts';
import { EVENTS } from '../lineage/index.ts';
import type { DomainContext } from './context.ts';
import { checkRole, type Principal } from './principal.ts';
import type { JobQueueRepository, NodeRow, PlacementRow } from './repositories/jobQueue.ts';

export interface NodeView extends NodeRow {
  /** Whether the node's lease holds now. */
  readonly live: boolean;
  readonly tenants: readonly string[];
}

export class NodeService {
  constructor(
    private readonly ctx: DomainContext,
    private readonly queue: JobQueueRepository,
  ) {}

  list(p: Principal): NodeView[] {
    checkRole(p, 'admin', 'security');
    const placed = this.queue.placements();
    const now = Date.now();
    return this.queue.nodes().map((n) => ({
      ...n,
      live: n.stopped_at === null && Date.parse(n.lease_until) > now,
      tenants: placed.filter((pl) => pl.node === n.id).map((pl) => pl.tenant),
    }));
  }

  placements(p: Principal): PlacementRow[] {
    checkRole(p, 'admin', 'security');
    return this.queue.placements();
  }

  /** Places an authorization's jobs on a node (an administrator's move). */
  async place(p: Principal, tenant: string, node: string): Promise<PlacementRow> {
    checkRole(p, 'admin');
    this.ctx.authorizations.current(tenant);
    if (!this.queue.node(node)) throw new OpError('NODE_NOT_FOUND', `no worker node "${node}" has registered`);
    const files = await this.fileHashes(tenant);
    return this.ctx.store.tx(() => {
      const busy = this.queue.runningOn(tenant);
      if (busy > 0) throw new OpError('PLACEMENT_BUSY', `authorization "${tenant}" has ${busy} queued or running jobs`);
      const from = this.queue.placement(tenant)?.node ?? null;
      const row: PlacementRow = { tenant, node, files: JSON.stringify(files), placed_by: p.user, placed_at: new Date().toISOString() };
      this.queue.place(row);
      this.ctx.audit.append({ kind: EVENTS.TENANT_PLACED, actor: p.user, tenant, subject: tenant, data: { node, from, files } });
      return row;
    });
  }

  /** sha256 of the authorization's DuckDB files as they move (a node's copy is checked against them). */
  private async fileHashes(tenant: string): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const env of ['dev', 'prod'] as const) {
      const path = this.ctx.paths.tenantDb(tenant, env);
      // Streamed: a tenant file may be many gigabytes.
      if (existsSync(path)) out[env] = await sha256File(path);
    }
    return out;
  }
}
