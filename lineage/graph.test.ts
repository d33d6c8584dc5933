// The lineage graph from audit entries: a trace stops at the object asked about. Downloads are
// a branch of their bundle, so one bundle's upstream never reaches another release through the
// person who downloaded both.
import { describe, expect, it } from 'vitest';
import type { AuditEntry } from './auditLog.ts';
import { EVENTS } from './events.ts';
import { LineageGraph, type TraceTree } from './graph.ts';

let seq = 0;
const entry = (kind: string, actor: string, subject: string, data: Record<string, unknown>): AuditEntry => ({
  seq: ++seq,
  at: new Date(Date.UTC(2026, 11, 1, 0, seq)).toISOString(),
  kind,
  actor,
  tenant: 'demo',
  subject,
  data,
});

function release(n: number): AuditEntry[] {
  return [
    entry(EVENTS.JOB_STARTED, 'alice', `job${n}`, { env: 'prod', scriptHash: `s${n}`, buildId: 'b1' }),
    entry(EVENTS.OUTPUT_CREATED, 'alice', `job${n}`, { name: 'out', hash: `h${n}` }),
    entry(EVENTS.EXPORT_REQUESTED, 'alice', `exp${n}`, { jobId: `job${n}`, output: 'out' }),
    entry(EVENTS.BUNDLE_CREATED, 'carol', `exp${n}`, { bundleId: `bnd${n}` }),
    entry(EVENTS.BUNDLE_DOWNLOADED, 'alice', `exp${n}`, { bundleId: `bnd${n}` }),
  ];
}

const ids = (t: TraceTree): string[] => [t.node.id, ...t.children.flatMap(ids)];

describe('traces stop at the object asked about', () => {
  it('one bundle upstream: its export, output and job — never the other bundle alice also downloaded', () => {
    const g = new LineageGraph();
    for (const e of [...release(1), ...release(2)]) g.add(e);
    const up = ids(g.trace('bundle:bnd1', 'up')!);
    expect(up).toEqual(expect.arrayContaining(['bundle:bnd1', 'export:exp1', 'job:job1', 'user:alice']));
    expect(up.filter((x) => /bnd2|exp2|job2/.test(x))).toEqual([]);
    // Downstream, the bundle shows its download, and the download who made it.
    const down = g.trace('bundle:bnd1', 'down')!;
    expect(down.children.map((c) => [c.via, c.node.type])).toEqual([['downloaded as', 'download']]);
    expect(ids(down).filter((x) => /bnd2|exp2/.test(x))).toEqual([]);
    // Alice's downstream is everything she did: both downloads are there.
    expect(new Set(ids(g.trace('user:alice', 'down')!).filter((x) => x.startsWith('download:'))).size).toBe(2);
  });
});
