// Security staff's view of the audit log: verify it, trace any node of the lineage graph,
// fetch checkpoints and proofs.
import { OpError } from '../../errors/index.ts';
import { EVENTS, LineageGraph, type Checkpoint, type TraceTree, type VerifyReport } from '../../lineage/index.ts';
import type { DomainContext } from './context.ts';
import { checkRole, type Principal } from './principal.ts';

export class LineageService {
  constructor(private readonly ctx: DomainContext) {}

  async verify(p: Principal, fromCheckpoint?: Checkpoint): Promise<VerifyReport> {
    checkRole(p, 'security', 'admin');
    const report = await this.ctx.audit.verify([this.ctx.domainKey.publicJwk], fromCheckpoint);
    this.ctx.audit.append({ kind: EVENTS.LOG_VERIFIED, actor: p.user, data: { ok: report.ok, entries: report.entries, root: report.root, problem: report.problem } });
    return report;
  }

  trace(p: Principal, id: string, direction: 'up' | 'down' = 'up'): TraceTree {
    checkRole(p, 'security', 'admin', 'reviewer');
    if (typeof id !== 'string' || id.length === 0 || id.length > 200) throw new OpError('BAD_REQUEST', 'a node id is required');
    const graph = LineageGraph.fromEntries(this.ctx.audit.entries());
    const tree = graph.trace(id, direction);
    if (!tree) throw new OpError('LINEAGE_NODE_NOT_FOUND', `no lineage node "${id.slice(0, 100)}"`);
    return tree;
  }

  async checkpoint(): Promise<Checkpoint> {
    return this.ctx.audit.checkpoint();
  }

  entries(p: Principal, filter: { tenant?: string; kind?: string; afterSeq?: number; limit?: number }) {
    checkRole(p, 'security', 'admin');
    return this.ctx.audit.entries(filter);
  }
}
