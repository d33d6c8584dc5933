// Steps 1–5 of the walking skeleton through the real `opdomain` command, as a user types them,
// in a temporary data home.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempHome } from './helpers.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const home = tempHome('opdomain-cli-');

function opdomainAsync(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/opdomain.js'), '--home', home.dir, ...args], {
      cwd: ROOT,
      env: { ...process.env, OPDOMAIN_TOKEN: '' },
    });
    let out = '';
    child.stdout.on('data', (b) => (out += b));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

function opdomain(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/opdomain.js'), '--home', home.dir, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, OPDOMAIN_TOKEN: '', ...env },
    timeout: 120_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr, json: () => JSON.parse(r.stdout) };
}

describe('the CLI walks the whole flow', () => {
  let tokens: Record<string, string>;
  beforeAll(() => {
    const r = opdomain(['demo', '--no-serve', '--json', '--scale', '3000']);
    expect(r.code, r.err).toBe(0);
    tokens = r.json().tokens;
  });
  afterAll(() => home.cleanup());

  it('sets up the demo: masked dev and prod files, a token per user; a second run reuses them', () => {
    expect(Object.keys(tokens).sort()).toEqual(['ada', 'alice', 'bob', 'carol', 'sam']);
    expect(existsSync(join(home.dir, 'tenants/demo/prod.duckdb'))).toBe(true);
    expect(existsSync(join(home.dir, 'tenants/demo/dev.duckdb'))).toBe(true);
    expect(existsSync(join(home.dir, 'raw/public.duckdb'))).toBe(true);
    const again = opdomain(['demo', '--no-serve', '--json']);
    expect(again.code, again.err).toBe(0);
    expect(again.json()).toMatchObject({ generated: false, provisioned: false });
  });

  it('runs the example in dev and prod, exports it, approves it, verifies and traces it', () => {
    const dev = opdomain(['run', '--tenant', 'demo', '--env', 'dev', 'examples/income-by-county.js', '--as', 'alice']);
    expect(dev.code, dev.err + dev.out).toBe(0);
    const devResult = dev.json();
    expect(devResult).toMatchObject({ ok: true, env: 'dev' });
    expect(devResult.outputs[0]).toMatchObject({ name: 'income_by_county' });
    expect(devResult.logs[0]).toMatch(/counties for 2024-06/);

    // The token from the environment works as well as --as.
    const prod = opdomain(['run', '--tenant', 'demo', '--env', 'prod', 'examples/income-by-county.js'], { OPDOMAIN_TOKEN: tokens.alice! });
    expect(prod.code, prod.err + prod.out).toBe(0);
    const prodResult = prod.json();
    expect(prodResult.ok).toBe(true);
    expect(prodResult.logs).toEqual([]); // quiet in prod
    // Without a manifest a prod reply names no output (the names could be chosen by the data).
    expect(prodResult.outputs).toEqual([]);
    expect(prodResult.stats).toBeUndefined();
    // The prod run declares its outputs with a manifest and hears a size bucket of each.
    const manifestPath = join(home.dir, 'project.json');
    writeFileSync(manifestPath, readFileSync(join(ROOT, 'examples/income-by-county.manifest.json')));
    const declared = opdomain(['run', '--tenant', 'demo', '--env', 'prod', 'examples/income-by-county.js', '--manifest', manifestPath, '--as', 'alice']);
    expect(declared.code, declared.err).toBe(0);
    expect(declared.json().outputs).toEqual([{ name: 'income_by_county', columns: expect.any(Array), size: 'large' }]);

    const req = opdomain(['export', 'request', '--job', prodResult.jobId, '--output', 'income_by_county', '--scenario', 'public-statistics', '--as', 'alice']);
    expect(req.code, req.err).toBe(0);
    const request = req.json();
    // Derived from important data (the contribution base): a reviewer's look and two approvals.
    expect(request).toMatchObject({ verdict: 'review', state: 'submitted', requiredApprovals: 2 });
    expect(request.rules.map((r: { rule: string }) => r.rule)).toEqual(expect.arrayContaining(['direct_identifiers', 'cell_count', 'dominance', 'grade']));
    // The medians are one person's value each (a reviewer's look), the rest measured per person.
    expect(request.rules.filter((r: { verdict: string }) => r.verdict !== 'pass').map((r: { rule: string }) => r.rule)).toEqual(['dominance', 'grade']);

    const self = opdomain(['export', 'approve', request.id, '--as', 'alice']);
    expect(self.code).toBe(1);
    expect(self.json().error.code).toBe('EXPORT_SELF_APPROVAL');

    const first = opdomain(['export', 'approve', request.id, '--comment', 'aggregates only', '--as', 'bob']);
    expect(first.code, first.err).toBe(0);
    expect(first.json()).toMatchObject({ state: 'in_review', votes: [{ reviewer: 'bob', decision: 'approve' }] });
    // carol has not voted: bob's vote is hidden from her until she casts her own.
    expect(opdomain(['export', 'show', request.id, '--as', 'carol']).json()).toMatchObject({ votes: [], votesHidden: 1 });
    const approve = opdomain(['export', 'approve', request.id, '--as', 'carol']);
    expect(approve.code, approve.err).toBe(0);
    const released = approve.json();
    expect(released.state).toBe('released');
    expect(existsSync(join(released.bundle.path, 'manifest.jws'))).toBe(true);

    const verifyBundle = opdomain(['export', 'verify', released.bundle.path]);
    expect(verifyBundle.code, verifyBundle.out).toBe(0);
    expect(verifyBundle.json().manifest).toMatchObject({ scenario: 'public-statistics', approvers: ['bob', 'carol'], requester: 'alice' });
    expect(verifyBundle.json().manifest.files.map((f: { name: string }) => f.name)).toEqual(['income_by_county.csv', 'income_by_county.parquet']);
    // The operator takes the bundle away as one file, which verifies the same way.
    const file = join(home.dir, 'income.bundle.json');
    const download = opdomain(['export', 'download', request.id, '--out', file, '--as', 'alice']);
    expect(download.code, download.err).toBe(0);
    expect(download.json()).toMatchObject({ file, bundleId: released.bundle.id });
    const verifyFile = opdomain(['export', 'verify', file]);
    expect(verifyFile.code, verifyFile.out).toBe(0);
    expect(verifyFile.json()).toMatchObject({ ok: true, manifest: { requester: 'alice', approvers: ['bob', 'carol'] } });
    writeFileSync(file, readFileSync(file, 'utf8').replace('"encoding":"utf8","content":"', '"encoding":"utf8","content":"x'));
    const tampered = opdomain(['export', 'verify', file]);
    expect(tampered.code).toBe(1);
    expect(tampered.json().problems.join()).toMatch(/does not match its sha256/);

    const verify = opdomain(['lineage', 'verify', '--as', 'sam']);
    expect(verify.code, verify.out).toBe(0);
    expect(verify.json()).toMatchObject({ ok: true });

    const trace = opdomain(['lineage', 'trace', request.id, '--as', 'sam']);
    expect(trace.code, trace.err).toBe(0);
    for (const needle of ['dataset:population@1', 'dataset:social_insurance@1', `job:${prodResult.jobId}`, 'policy:', 'user:alice', 'user:bob', 'user:carol']) {
      expect(trace.out).toContain(needle);
    }
  });

  it('refuses with codes and exits non-zero', () => {
    const noAuth = opdomain(['run', '--tenant', 'demo', 'examples/income-by-county.js']);
    expect(noAuth.code).toBe(1);
    expect(noAuth.json().error.code).toBe('AUTH_REQUIRED');
    const reviewerRuns = opdomain(['run', '--tenant', 'demo', 'examples/income-by-county.js', '--as', 'bob']);
    expect(reviewerRuns.json().error.code).toBe('FORBIDDEN_ROLE');
    const ghost = opdomain(['run', '--tenant', 'demo', 'examples/income-by-county.js', '--as', 'mallory']);
    expect(ghost.json().error.code).toBe('AUTH_UNKNOWN_USER');
    const badToken = opdomain(['lineage', 'verify'], { OPDOMAIN_TOKEN: `${tokens.sam!.slice(0, -4)}AAAA` });
    expect(badToken.json().error.code).toBe('AUTH_INVALID_TOKEN');
    const missing = opdomain(['run', '--tenant', 'demo', 'no-such-file.js', '--as', 'alice']);
    expect(missing.json().error.code).toBe('BAD_REQUEST');
    const usage = opdomain(['run', 'examples/income-by-county.js', '--as', 'alice']);
    expect(usage.code).toBe(2);
    const refused = opdomain(['run', '--tenant', 'demo', 'examples/identifiers-leak.js', '--as', 'alice']);
    expect(refused.code).toBe(1);
    expect(refused.json().error.code).toBe('SQL_USAGE_REFUSED');
    expect(refused.json().error.message).toMatch(/population\.id_card, whose usage level is join_key/);
    const blocked = opdomain(['run', '--tenant', 'demo', '--env', 'prod', 'examples/small-cells.js', '--as', 'alice']);
    const leak = opdomain(['export', 'request', '--job', blocked.json().jobId, '--output', 'births', '--as', 'alice']);
    expect(leak.code).toBe(1);
    expect(leak.json()).toMatchObject({ state: 'blocked', verdict: 'block' });
  });

  it('cancels a job running in another CLI process', async () => {
    const script = join(home.dir, 'forever.js');
    writeFileSync(script, 'await new Promise(() => {})');
    const running = opdomainAsync(['run', '--tenant', 'demo', script, '--as', 'alice']);
    let jobId: string | undefined;
    for (let i = 0; i < 60 && !jobId; i++) {
      await new Promise((r) => setTimeout(r, 250));
      const list = opdomain(['jobs', 'list', '--as', 'alice']);
      if (list.code === 0) jobId = list.json().find((j: { state: string }) => j.state === 'running')?.id;
    }
    expect(jobId).toBeDefined();
    const cancel = opdomain(['jobs', 'cancel', jobId!, '--as', 'alice']);
    expect(cancel.code, cancel.out).toBe(0);
    const done = await running;
    expect(done.code).toBe(1);
    expect(JSON.parse(done.out)).toMatchObject({ ok: false, jobId, error: { code: 'JOB_CANCELLED' } });
  });

  it('publishes a data product and grants it: product propose, approve, consumer add, key, grant, calls, revoke', async () => {
    const proposed = opdomain(['product', 'propose', 'examples/product-people-by-county.json', '--as', 'alice']);
    expect(proposed.code, proposed.err + proposed.out).toBe(0);
    expect(proposed.json()).toMatchObject({ product: 'people-by-county', version: 1, state: 'submitted', requiredApprovals: 2, actions: ['withdraw'] });
    expect(opdomain(['product', 'approve', 'people-by-county/v1', '--as', 'alice']).json().error.code).toBe('PRODUCT_SELF_APPROVAL');
    expect(opdomain(['product', 'approve', 'people-by-county/v1', '--as', 'bob']).json().state).toBe('in_review');
    expect(opdomain(['product', 'approve', 'people-by-county/v1', '--comment', 'fine', '--as', 'carol']).json().state).toBe('approved');
    expect(
      opdomain(['product', 'list', '--state', 'approved', '--as', 'sam'])
        .json()
        .map((v: { product: string }) => v.product),
    ).toEqual(['people-by-county']);
    // The version may also be named as two words.
    expect(opdomain(['product', 'show', 'people-by-county', '1', '--as', 'sam']).json()).toMatchObject({
      product: 'people-by-county',
      version: 1,
      state: 'approved',
    });
    expect(opdomain(['consumer', 'add', 'acme', '--name', 'ACME Credit', '--as', 'ada']).json()).toMatchObject({ id: 'acme', state: 'active' });
    const key = opdomain(['consumer', 'key', 'acme', '--days', '30', '--as', 'ada']).json();
    expect(key.key).toMatch(/^odk_[a-f0-9]{16}_/);
    const grant = opdomain(['consumer', 'grant', 'acme', 'people-by-county/v1', '--per-day', '5', '--as', 'ada']).json();
    expect(grant).toMatchObject({ consumer: 'acme', product: 'people-by-county', version: 1, quotas: { perDay: 5 } });
    expect(opdomain(['consumer', 'grant', 'acme', 'people-by-county/v1', '--as', 'alice']).json().error.code).toBe('FORBIDDEN_ROLE');
    // A call through the core of another process, then the security view of it.
    const { Opdomain } = await import('../gateway/index.ts');
    const od = await Opdomain.open({ home: home.dir });
    try {
      const answer = await od.productCalls.call({
        key: key.key,
        scenario: 'public-statistics',
        product: 'people-by-county',
        version: 'v1',
        query: { gender: '女' },
        format: 'json',
      });
      expect(answer.status).toBe(200);
    } finally {
      await od.close();
    }
    const calls = opdomain(['product', 'calls', '--consumer', 'acme', '--as', 'sam']).json();
    expect(calls[0]).toMatchObject({ consumer: 'acme', status: 200, product: 'people-by-county', version: 1 });
    // Revoking is a regulated act: without a reason it is refused, and nothing changes.
    const unexplained = opdomain(['consumer', 'revoke', grant.id, '--as', 'ada']);
    expect(unexplained.code).not.toBe(0);
    expect(unexplained.json().error.code).toBe('REASON_REQUIRED');
    expect(opdomain(['consumer', 'revoke', grant.id, '--reason', 'trial over', '--as', 'ada']).json().revokedAt).toEqual(expect.any(String));
    expect(opdomain(['consumer', 'revoke', key.keyId, '--reason', 'key leaked', '--as', 'sam']).json().revokedAt).toEqual(expect.any(String));
    expect(opdomain(['consumer', 'revoke', 'acme', '--reason', 'contract ended', '--as', 'ada']).json().state).toBe('revoked');
    expect(opdomain(['product', 'revoke', 'people-by-county/v1', '--reason', 'superseded', '--as', 'sam']).json().state).toBe('revoked');
    expect(opdomain(['product', 'show', 'nonsense', '--as', 'sam']).json().error.code).toBe('BAD_REQUEST');
  }, 120_000);
});
