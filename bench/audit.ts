// The audit log: appends per second with durability on (each acknowledged append or batch is
// fsync'd), and the time to verify a log of N entries (default 1,000,000).
//   npm run bench:audit -- --entries 1000000
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog, loadOrCreateSigningKey } from '../lineage/index.ts';
import { ControlStore } from '../store/index.ts';

const i = process.argv.indexOf('--entries');
const N = i >= 0 ? Number(process.argv[i + 1]) : 1_000_000;
const dir = mkdtempSync(join(tmpdir(), 'opdomain-bench-audit-'));
try {
  const store = new ControlStore(join(dir, 'control.sqlite'));
  const key = await loadOrCreateSigningKey(dir, 'k');
  const log = new AuditLog(store, key);
  const ev = (n: number) => ({
    kind: 'QUERY' as const,
    actor: 'alice',
    tenant: 'demo',
    subject: `job_${n >> 6}`,
    data: { env: 'prod', buildId: null, sqlHash: 'ab'.repeat(32), verdict: 'allowed', tables: ['population'], columns: [], rowCount: n },
  });
  const rate = (batch: number) => {
    let n = 0;
    const t = performance.now();
    while (performance.now() - t < 3000) {
      if (batch === 1) log.append(ev(n));
      else log.appendMany(Array.from({ length: batch }, (_, k) => ev(n + k)));
      n += batch;
    }
    return n / ((performance.now() - t) / 1000);
  };
  const rows: string[] = [];
  for (const b of [1, 10, 100, 1000])
    rows.push(`| appends/s, ${b === 1 ? 'one per transaction' : `batches of ${b}`} (fsync per commit) | ${Math.round(rate(b)).toLocaleString('en')} |`);
  const have = log.size();
  const t0 = performance.now();
  for (let n = have; n < N; n += 10_000) log.appendMany(Array.from({ length: Math.min(10_000, N - n) }, (_, k) => ev(n + k)));
  const fillMs = performance.now() - t0;
  await log.checkpoint();
  const t1 = performance.now();
  const report = await log.verify([key.publicJwk]);
  const verifyMs = performance.now() - t1;
  if (!report.ok) throw new Error(JSON.stringify(report.problem));
  rows.push(`| filling to ${N.toLocaleString('en')} entries in batches of 10,000 | ${(fillMs / 1000).toFixed(1)} s |`);
  rows.push(`| verify ${report.entries.toLocaleString('en')} entries (leaves, chain, Merkle root, checkpoint) | ${(verifyMs / 1000).toFixed(1)} s |`);
  console.log(`\naudit log — ${new Date().toISOString()}, node ${process.version}\n\n| measure | result |\n| --- | --- |\n${rows.join('\n')}`);
  store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
