// Kill the process in the middle of appends: after restart the log verifies and no entry that
// was acknowledged (append returned) is missing.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuditLog, loadOrCreateSigningKey } from '../lineage/index.ts';
import { ControlStore } from '../store/index.ts';

const ROOT = new URL('..', import.meta.url).pathname;

describe('audit log under a crash', () => {
  it('keeps every acknowledged entry and still verifies after SIGKILL mid-append', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opdomain-crash-'));
    try {
      const writer = join(dir, 'writer.mts');
      writeFileSync(writer, `
        import { AuditLog, loadOrCreateSigningKey } from '${ROOT}lineage/index.ts';
        import { ControlStore } from '${ROOT}store/index.ts';
        const store = new ControlStore('${dir}/control.sqlite');
        const log = new AuditLog(store, await loadOrCreateSigningKey('${dir}', 'k'));
        for (let i = 0; ; i++) {
          const [e] = i % 3 === 0 ? log.appendMany([{ kind: 'T', actor: 'w', data: { i } }, { kind: 'T', actor: 'w', data: { i, b: 1 } }]).slice(-1) : [log.append({ kind: 'T', actor: 'w', data: { i } })];
          process.stdout.write(e.seq + '\\n');
          if (i % 50 === 0) await log.checkpoint();
        }
      `);
      const child = spawn(process.execPath, ['--import', 'tsx', writer], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
      let acked = 0;
      let buf = '';
      child.stdout.on('data', (b) => {
        buf += b;
        const lines = buf.split('\n');
        buf = lines.pop()!;
        for (const l of lines) acked = Math.max(acked, Number(l));
      });
      await new Promise((r) => setTimeout(r, 2500));
      const exited = child.exitCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', r));
      expect(child.exitCode, 'the writer died on its own').toBeNull();
      child.kill('SIGKILL');
      await exited;
      expect(acked).toBeGreaterThan(20);
      const store = new ControlStore(join(dir, 'control.sqlite'));
      const key = await loadOrCreateSigningKey(dir, 'k');
      const log = new AuditLog(store, key);
      expect(log.size()).toBeGreaterThanOrEqual(acked);
      const report = await log.verify([key.publicJwk]);
      expect(report.ok, JSON.stringify(report.problem)).toBe(true);
      log.append({ kind: 'T', actor: 'after-restart' });
      expect((await log.verify([key.publicJwk])).ok).toBe(true);
      store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
