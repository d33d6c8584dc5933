// Jobs as a queue in the control store, and the worker nodes that take them: every statement of
// the queue's aggregate (queued and running job rows, nodes, tenant placements), with typed rows.
// Gateways enqueue; a node claims the oldest job of a tenant placed on it (or of an unplaced
// tenant), holds it under a lease it renews with its heartbeat, and finishes it. On PostgreSQL a
// claim skips rows another node is claiming (FOR UPDATE SKIP LOCKED).
import type { Store } from '../../store/index.ts';

export interface ClaimedRow {
  id: string;
  tenant: string;
  env: 'dev' | 'prod';
  user: string;
  script_hash: string;
  params: string;
  build_id: string | null;
  created_at: string;
  manifest: string | null;
  request: string | null;
}

export interface JobStateRow {
  state: string;
  error_code: string | null;
  error_message: string | null;
  result: string | null;
  manifest: string | null;
  node: string | null;
}

export interface NodeRow {
  id: string;
  host: string;
  pid: number;
  kind: string;
  started_at: string;
  heartbeat_at: string;
  lease_until: string;
  stopped_at: string | null;
}

export interface PlacementRow {
  tenant: string;
  node: string;
  files: string | null;
  placed_by: string;
  placed_at: string;
}

export interface ExpiredJobRow {
  id: string;
  tenant: string;
  user: string;
  node: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

export class JobQueueRepository {
  constructor(private readonly store: Store) {}

  /** Takes the oldest queued job this node may run, or none. */
  claim(node: string, leaseMs: number, now = Date.now()): ClaimedRow | undefined {
    const skip = this.store.dialect === 'postgres' ? 'FOR UPDATE OF j SKIP LOCKED' : '';
    return this.store.get<ClaimedRow>(
      `UPDATE jobs SET state = 'running', node = ?, lease_until = ? WHERE id = (
         SELECT j.id FROM jobs j LEFT JOIN placements pl ON pl.tenant = j.tenant
          WHERE j.state = 'queued' AND (pl.node IS NULL OR pl.node = ?) ORDER BY j.created_at, j.id LIMIT 1 ${skip})
         AND state = 'queued'
       RETURNING id, tenant, env, user, script_hash, params, build_id, created_at, manifest, request`,
      node,
      iso(now + leaseMs),
      node,
    );
  }

  jobState(id: string): JobStateRow | undefined {
    return this.store.get<JobStateRow>('SELECT state, error_code, error_message, result, manifest, node FROM jobs WHERE id = ?', id);
  }

  registerNode(row: Omit<NodeRow, 'stopped_at'>): void {
    this.store.run(
      `INSERT INTO nodes (id, host, pid, kind, started_at, heartbeat_at, lease_until) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET host = excluded.host, pid = excluded.pid, kind = excluded.kind, started_at = excluded.started_at,
         heartbeat_at = excluded.heartbeat_at, lease_until = excluded.lease_until, stopped_at = NULL`,
      row.id,
      row.host,
      row.pid,
      row.kind,
      row.started_at,
      row.heartbeat_at,
      row.lease_until,
    );
  }

  /** Renews the node's lease and its running jobs' leases in one write. */
  heartbeat(node: string, leaseMs: number, now = Date.now()): void {
    this.store.tx(() => {
      this.store.run('UPDATE nodes SET heartbeat_at = ?, lease_until = ? WHERE id = ?', iso(now), iso(now + leaseMs), node);
      this.store.run("UPDATE jobs SET lease_until = ? WHERE node = ? AND state = 'running'", iso(now + leaseMs), node);
    });
  }

  stopNode(node: string, now = Date.now()): void {
    this.store.run('UPDATE nodes SET stopped_at = ?, lease_until = ? WHERE id = ?', iso(now), iso(now), node);
  }

  nodes(): NodeRow[] {
    return this.store.all<NodeRow>('SELECT id, host, pid, kind, started_at, heartbeat_at, lease_until, stopped_at FROM nodes ORDER BY id');
  }

  node(id: string): NodeRow | undefined {
    return this.store.get<NodeRow>('SELECT id, host, pid, kind, started_at, heartbeat_at, lease_until, stopped_at FROM nodes WHERE id = ?', id);
  }

  /** Running jobs whose node's lease ran out (the node died or lost the store). */
  expired(now = Date.now()): ExpiredJobRow[] {
    return this.store.all<ExpiredJobRow>("SELECT id, tenant, user, node FROM jobs WHERE state = 'running' AND node IS NOT NULL AND lease_until < ?", iso(now));
  }

  /** Fails one expired job, if it is still running and still expired; answers whether it did. */
  failExpired(id: string, code: string, message: string, now = Date.now()): boolean {
    return (
      this.store.run(
        "UPDATE jobs SET state = 'failed', error_code = ?, error_message = ?, finished_at = ? WHERE id = ? AND state = 'running' AND lease_until < ?",
        code,
        message,
        iso(now),
        id,
        iso(now),
      ).changes === 1
    );
  }

  /** Closes a job that never reached a node (a cancel of a queued job). */
  cancelQueued(id: string, now = Date.now()): boolean {
    return (
      this.store.run("UPDATE jobs SET state = 'failed', error_code = 'JOB_CANCELLED', finished_at = ? WHERE id = ? AND state = 'queued'", iso(now), id)
        .changes === 1
    );
  }

  placement(tenant: string): PlacementRow | undefined {
    return this.store.get<PlacementRow>('SELECT tenant, node, files, placed_by, placed_at FROM placements WHERE tenant = ?', tenant);
  }

  placements(): PlacementRow[] {
    return this.store.all<PlacementRow>('SELECT tenant, node, files, placed_by, placed_at FROM placements ORDER BY tenant');
  }

  place(row: PlacementRow): void {
    this.store.run(
      `INSERT INTO placements (tenant, node, files, placed_by, placed_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (tenant) DO UPDATE SET node = excluded.node, files = excluded.files, placed_by = excluded.placed_by, placed_at = excluded.placed_at`,
      row.tenant,
      row.node,
      row.files,
      row.placed_by,
      row.placed_at,
    );
  }

  /** Jobs of a tenant a node holds now (a move waits for none). */
  runningOn(tenant: string): number {
    return this.store.get<{ n: number }>("SELECT count(*) AS n FROM jobs WHERE tenant = ? AND state IN ('queued', 'running')", tenant)!.n;
  }
}
