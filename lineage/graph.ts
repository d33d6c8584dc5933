// The lineage graph, derived from audit events: dataset versions → tenant builds → tables →
// queries → jobs (with scripts and people) → outputs → export requests → bundles.
// trace() walks it upstream ("where did this come from") or downstream ("where did it go").
import type { AuditEntry } from './auditLog.ts';
import { EVENTS, payloadOf } from './events.ts';

export interface LineageNode {
  readonly id: string;
  readonly type: string;
  readonly label: string;
  readonly attrs: Record<string, unknown>;
}

export interface TraceTree {
  readonly node: LineageNode;
  readonly via?: string;
  readonly children: TraceTree[];
  /** Already shown higher up in the same trace. */
  readonly repeated?: boolean;
}

export class LineageGraph {
  readonly nodes = new Map<string, LineageNode>();
  /** to → [{from, rel}]: upstream edges. */
  private readonly up = new Map<string, { id: string; rel: string }[]>();
  private readonly down = new Map<string, { id: string; rel: string }[]>();

  static fromEntries(entries: Iterable<AuditEntry>): LineageGraph {
    const g = new LineageGraph();
    for (const e of entries) g.add(e);
    return g;
  }

  private node(id: string, type: string, label: string, attrs: Record<string, unknown> = {}): string {
    const prev = this.nodes.get(id);
    this.nodes.set(id, { id, type, label, attrs: { ...(prev?.attrs ?? {}), ...attrs } });
    return id;
  }

  private edge(from: string, to: string, rel: string): void {
    const u = this.up.get(to) ?? [];
    if (!u.some((x) => x.id === from && x.rel === rel)) u.push({ id: from, rel });
    this.up.set(to, u);
    const d = this.down.get(from) ?? [];
    if (!d.some((x) => x.id === to && x.rel === rel)) d.push({ id: to, rel });
    this.down.set(from, d);
  }

  add(e: AuditEntry): void {
    // Each case reads its kind's payload type (events.ts), every field possibly missing in an
    // entry an earlier release wrote.
    switch (e.kind) {
      case EVENTS.DATASET_LOADED: {
        const d = payloadOf(EVENTS.DATASET_LOADED, e.data);
        this.node(`dataset:${d.dataset}@${d.version}`, 'dataset', `dataset ${d.dataset} v${d.version}`, {
          rows: d.rows,
          contentHash: d.contentHash,
          seq: e.seq,
        });
        break;
      }
      case EVENTS.TENANT_BUILT: {
        const d = payloadOf(EVENTS.TENANT_BUILT, e.data);
        const b = this.node(`build:${d.buildId}`, 'build', `masked build ${d.buildId} of ${e.tenant}`, { policyHash: d.policyHash, rows: d.rows, seq: e.seq });
        const p = this.node(`policy:${d.policyHash}`, 'policy', `masking policy ${String(d.policyHash).slice(0, 12)}`);
        this.edge(p, b, 'masked by');
        for (const v of d.datasets ?? []) this.edge(`dataset:${v.dataset}@${v.version}`, b, 'loaded from');
        for (const t of Object.keys(d.rows ?? {})) {
          for (const env of ['prod', 'dev']) {
            const tn = this.node(`table:${d.buildId}/${env}/${t}`, 'table', `table ${t} (${e.tenant} ${env})`);
            this.edge(b, tn, 'contains');
          }
        }
        break;
      }
      case EVENTS.JOB_STARTED: {
        const d = payloadOf(EVENTS.JOB_STARTED, e.data);
        const j = this.node(`job:${e.subject}`, 'job', `job ${e.subject} (${d.env})`, { tenant: e.tenant, env: d.env, seq: e.seq });
        this.edge(this.node(`script:${d.scriptHash}`, 'script', `script ${String(d.scriptHash).slice(0, 12)}`), j, 'runs');
        this.edge(this.node(`user:${e.actor}`, 'user', `user ${e.actor}`), j, 'submitted by');
        if (d.buildId) this.edge(`build:${d.buildId}`, j, 'against');
        break;
      }
      case EVENTS.QUERY: {
        const d = payloadOf(EVENTS.QUERY, e.data);
        const q = this.node(`query:${e.seq}`, 'query', `query ${String(d.sqlHash).slice(0, 12)} ${d.verdict}`, {
          verdict: d.verdict,
          tables: d.tables,
          columns: d.columns,
          rows: d.rowCount,
          resultHash: d.resultHash,
          code: d.code,
        });
        this.edge(q, `job:${e.subject}`, 'issued');
        for (const t of d.tables ?? []) this.edge(`table:${d.buildId}/${d.env}/${t}`, q, 'reads');
        // Column-level lineage: each input column, and how the query uses it.
        const inputs = [
          ...Object.values((d.lineage?.fields ?? {}) as Record<string, { table: string; column: string; subtype: string }[]>).flat(),
          ...((d.lineage?.dataset ?? []) as { table: string; column: string; subtype: string }[]),
        ];
        for (const i of inputs) {
          const c = this.node(`column:${d.buildId}/${d.env}/${i.table}.${i.column}`, 'column', `column ${i.table}.${i.column} (${e.tenant} ${d.env})`);
          this.edge(`table:${d.buildId}/${d.env}/${i.table}`, c, 'has column');
          this.edge(c, q, i.subtype.toLowerCase().replace('_', ' '));
        }
        break;
      }
      case EVENTS.JOB_FINISHED: {
        const d = payloadOf(EVENTS.JOB_FINISHED, e.data);
        this.node(`job:${e.subject}`, 'job', this.nodes.get(`job:${e.subject}`)?.label ?? `job ${e.subject}`, { state: d.state, code: d.code });
        break;
      }
      case EVENTS.OUTPUT_CREATED: {
        const d = payloadOf(EVENTS.OUTPUT_CREATED, e.data);
        const o = this.node(`output:${e.subject}/${d.name}`, 'output', `output ${d.name} of job ${e.subject}`, { rows: d.rowCount, hash: d.hash });
        this.edge(`job:${e.subject}`, o, 'produced');
        break;
      }
      case EVENTS.EXPORT_REQUESTED: {
        const d = payloadOf(EVENTS.EXPORT_REQUESTED, e.data);
        const x = this.node(`export:${e.subject}`, 'export', `export request ${e.subject} (${d.scenario})`, { verdict: d.verdict, scenario: d.scenario });
        this.edge(`output:${d.jobId}/${d.output}`, x, 'requested');
        this.edge(`user:${e.actor}`, x, 'requested by');
        break;
      }
      case EVENTS.EXPORT_VOTE: {
        const d = payloadOf(EVENTS.EXPORT_VOTE, e.data);
        this.edge(this.node(`user:${e.actor}`, 'user', `user ${e.actor}`), `export:${e.subject}`, `${d.decision} by`);
        break;
      }
      case EVENTS.EXPORT_STATE_CHANGED: {
        const d = payloadOf(EVENTS.EXPORT_STATE_CHANGED, e.data);
        this.node(`export:${e.subject}`, 'export', this.nodes.get(`export:${e.subject}`)?.label ?? `export ${e.subject}`, { state: d.to });
        break;
      }
      case EVENTS.BUNDLE_CREATED: {
        const d = payloadOf(EVENTS.BUNDLE_CREATED, e.data);
        const b = this.node(`bundle:${d.bundleId}`, 'bundle', `bundle ${d.bundleId}`, { manifestSha256: d.manifestSha256 });
        this.edge(`export:${e.subject}`, b, 'released as');
        break;
      }
      case EVENTS.REPLAY: {
        const d = payloadOf(EVENTS.REPLAY, e.data);
        const r = this.node(`replay:${e.seq}`, 'replay', `replay of job ${e.subject}: ${d.result}`, { result: d.result, reason: d.reason });
        this.edge(`job:${e.subject}`, r, 'replayed as');
        this.edge(this.node(`user:${e.actor}`, 'user', `user ${e.actor}`), r, 'run by');
        break;
      }
      case EVENTS.PRODUCT_PROPOSED: {
        const d = payloadOf(EVENTS.PRODUCT_PROPOSED, e.data);
        const v = this.node(`product:${e.subject}`, 'product', `product ${e.subject} (${d.scenario})`, { hash: d.hash, tenant: e.tenant, seq: e.seq });
        for (const t of d.tables ?? []) this.edge(`table:${d.buildId}/prod/${t}`, v, 'reads');
        this.edge(this.node(`user:${e.actor}`, 'user', `user ${e.actor}`), v, 'proposed by');
        break;
      }
      case EVENTS.PRODUCT_VOTE: {
        const d = payloadOf(EVENTS.PRODUCT_VOTE, e.data);
        this.edge(this.node(`user:${e.actor}`, 'user', `user ${e.actor}`), `product:${e.subject}`, `${d.decision} by`);
        break;
      }
      case EVENTS.PRODUCT_STATE_CHANGED: {
        const d = payloadOf(EVENTS.PRODUCT_STATE_CHANGED, e.data);
        this.node(`product:${e.subject}`, 'product', this.nodes.get(`product:${e.subject}`)?.label ?? `product ${e.subject}`, { state: d.to });
        break;
      }
      case EVENTS.PRODUCT_GRANTED: {
        const d = payloadOf(EVENTS.PRODUCT_GRANTED, e.data);
        this.edge(`product:${e.subject}`, this.node(`consumer:${d.consumer}`, 'consumer', `consumer ${d.consumer}`), 'granted to');
        break;
      }
      case EVENTS.PRODUCT_CALL: {
        const d = payloadOf(EVENTS.PRODUCT_CALL, e.data);
        // Served answers are lineage; refusals stay in the log only.
        if (d.status !== 200 || d.op !== 'call') break;
        const c = this.node(`call:${e.subject}`, 'call', `call ${e.subject} of ${d.product}/v${d.version}`, {
          rows: d.rows,
          suppressed: d.suppressed,
          responseHash: d.responseHash,
          paramsHash: d.paramsHash,
          seq: e.seq,
        });
        this.edge(`product:${d.product}/v${d.version}`, c, 'answered');
        this.edge(c, this.node(`consumer:${d.consumer}`, 'consumer', `consumer ${d.consumer}`), 'answered to');
        break;
      }
      case EVENTS.BUNDLE_DOWNLOADED: {
        const d = payloadOf(EVENTS.BUNDLE_DOWNLOADED, e.data);
        // A download is a branch of its bundle, not an edge into the person: a person is a source
        // of what they did, so tracing one bundle upstream never walks through them to the other
        // bundles they downloaded.
        const dl = this.node(`download:${e.seq}`, 'download', `download by ${e.actor} · ${e.at.slice(0, 16)}`);
        this.edge(`bundle:${d.bundleId}`, dl, 'downloaded as');
        this.edge(this.node(`user:${e.actor}`, 'user', `user ${e.actor}`), dl, 'downloaded by');
        break;
      }
      default:
        break;
    }
  }

  /** Finds a node by full id ("export:abc") or by its bare id ("abc"). */
  resolve(id: string): LineageNode | undefined {
    const exact = this.nodes.get(id);
    if (exact) return exact;
    for (const n of this.nodes.values()) if (n.id.slice(n.id.indexOf(':') + 1) === id) return n;
    return undefined;
  }

  trace(id: string, direction: 'up' | 'down' = 'up'): TraceTree | undefined {
    const root = this.resolve(id);
    if (!root) return undefined;
    const edges = direction === 'up' ? this.up : this.down;
    // Each node is expanded once; later mentions are leaves marked `repeated`.
    const expanded = new Set<string>();
    const walk = (node: LineageNode, via: string | undefined): TraceTree => {
      if (expanded.has(node.id)) return { node, ...(via ? { via } : {}), children: [], repeated: true };
      expanded.add(node.id);
      const children: TraceTree[] = [];
      for (const e of edges.get(node.id) ?? []) {
        const child = this.nodes.get(e.id) ?? { id: e.id, type: e.id.split(':')[0]!, label: e.id, attrs: {} };
        children.push(walk(child, e.rel));
      }
      return { node, ...(via ? { via } : {}), children };
    };
    return walk(root, undefined);
  }
}

export function renderTrace(tree: TraceTree): string {
  const lines: string[] = [];
  const walk = (t: TraceTree, prefix: string, last: boolean, top: boolean) => {
    const head = top ? '' : `${prefix}${last ? '└─' : '├─'} `;
    lines.push(`${head}${t.via ? `[${t.via}] ` : ''}${t.node.label}  (${t.node.id})${t.repeated ? '  ↑ see above' : ''}`);
    const next = top ? '' : `${prefix}${last ? '   ' : '│  '}`;
    t.children.forEach((c, i) => walk(c, next, i === t.children.length - 1, false));
  };
  walk(tree, '', true, true);
  return lines.join('\n');
}
