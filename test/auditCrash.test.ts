// Kill the process in the middle of appends: after restart the log verifies and no entry that
// was acknowledged (append returned) is missing.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog, loadOrCreateSigningKey } from '../lineage/index.ts';
import { ControlStore } from '../store/index.ts';

const ROOT = new URL('..', import.meta.url).pathname;

/** Starts a writer that prints each acknowledged seq, kills it with SIGKILL after 2.5 s, checks the log. */
async function crashAndCheck(dir: string, loop: string): Promise<void> {
  const writer = join(dir, 'writer.mts');
  writeFileSync(
    writer,
    `
    import { AuditLog, loadOrCreateSigningKey } from '${ROOT}lineage/index.ts';
    import { ControlStore } from '${ROOT}store/index.ts';
    const store = new ControlStore('${dir}/control.sqlite');
    const log = new AuditLog(store, await loadOrCreateSigningKey('${dir}', 'k'));
    ${loop}
  `,
  );
  const child = spawn(process.execPath, ['--import', 'tsx', writer], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const acked = new Set<number>();
  let buf = '';
  child.stdout.on('data', (b) => {
    buf += b;
    const lines = buf.split('\n');
    buf = lines.pop()!;
    for (const l of lines) acked.add(Number(l));
  });
  await new Promise((r) => setTimeout(r, 2500));
  const exited = child.exitCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', r));
  expect(child.exitCode, 'the writer died on its own').toBeNull();
  child.kill('SIGKILL');
  await exited;
  expect(acked.size).toBeGreaterThan(20);
  const store = new ControlStore(join(dir, 'control.sqlite'));
  const key = await loadOrCreateSigningKey(dir, 'k');
  const log = new AuditLog(store, key);
  const have = new Set(store.all<{ seq: number }>('SELECT seq FROM audit').map((r) => r.seq));
  expect(
    [...acked].filter((s) => !have.has(s)),
    'acknowledged entries missing after the crash',
  ).toEqual([]);
  const report = await log.verify([key.publicJwk]);
  expect(report.ok, JSON.stringify(report.problem)).toBe(true);
  log.append({ kind: 'LOG_VERIFIED', actor: 'after-restart' });
  expect((await log.verify([key.publicJwk])).ok).toBe(true);
  store.close();
}

describe('audit log under a crash', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'opdomain-crash-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps every acknowledged entry and still verifies after SIGKILL mid-append', async () => {
    await crashAndCheck(
      dir,
      `
      for (let i = 0; ; i++) {
        const [e] = i % 3 === 0 ? log.appendMany([{ kind: 'T', actor: 'w', data: { i } }, { kind: 'T', actor: 'w', data: { i, b: 1 } }]).slice(-1) : [log.append({ kind: 'T', actor: 'w', data: { i } })];
        process.stdout.write(e.seq + '\\n');
        if (i % 50 === 0) await log.checkpoint();
      }
    `,
    );
  });

  it('group commit: every entry acknowledged to a caller survives SIGKILL, the log gapless and verifying', async () => {
    // Sixteen callers append at once, as concurrent jobs' queries do; each prints its seq when told it is durable.
    await crashAndCheck(
      dir,
      `
      const caller = async (c) => {
        for (let i = 0; ; i++) {
          const e = await log.appendInGroup(() => ({ kind: 'T', actor: 'w' + c, data: { i } }));
          process.stdout.write(e.seq + '\\n');
        }
      };
      await Promise.all(Array.from({ length: 16 }, (_, c) => caller(c)));
    `,
    );
  });
});
