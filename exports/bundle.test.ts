import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadOrCreateSigningKey, type SigningKey } from '../lineage/index.ts';
import { verifyBundle, writeBundle } from './index.ts';

let dir: string;
let key: SigningKey;
let bundle: string;
const input = {
  bundleId: 'bnd_test', requestId: 'exp_test', tenant: 'demo', scenario: 'public-statistics', jobId: 'job_x', output: 'table',
  requester: 'alice', approvers: ['bob'], scriptHash: 'a'.repeat(64), outputHash: 'b'.repeat(64), policyHash: 'c'.repeat(64), datasetVersions: [], verdict: 'pass', validDays: 30,
};

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'opdomain-bundle-'));
  key = await loadOrCreateSigningKey(dir, 'domain');
  bundle = join(dir, 'bnd_test');
  await writeBundle(bundle, input, { columns: [{ name: 'county' }, { name: 'n' }], rows: [['330106', 12], ['=cmd|calc', 30]] }, key);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const jwks = () => ({ keys: [key.publicJwk] });

describe('signed bundles', () => {
  it('verify offline with the public key only; CSV injection is neutralised', async () => {
    const v = await verifyBundle(bundle, jwks());
    expect(v).toMatchObject({ ok: true, problems: [] });
    expect(v.manifest).toMatchObject({ scenario: 'public-statistics', approvers: ['bob'], files: [{ name: 'table.csv', rows: 2 }, { name: 'table.parquet', rows: 2 }] });
    expect(readFileSync(join(bundle, 'table.csv'), 'utf8')).toContain("'=cmd|calc");
  });
  it('fail when a file, the manifest or the signature is changed, a file is added, or the key is another', async () => {
    appendFileSync(join(bundle, 'table.csv'), '330100,1\r\n');
    expect((await verifyBundle(bundle, jwks())).problems.join()).toMatch(/table.csv does not match/);
  });
  it('fail when the manifest is edited', async () => {
    writeFileSync(join(bundle, 'manifest.json'), readFileSync(join(bundle, 'manifest.json'), 'utf8').replace('public-statistics', 'marketing'));
    expect((await verifyBundle(bundle, jwks())).problems.join()).toMatch(/differs from the signed/);
  });
  it('fail with an extra file or another key', async () => {
    writeFileSync(join(bundle, 'extra.csv'), 'x');
    expect((await verifyBundle(bundle, jwks())).problems.join()).toMatch(/extra.csv is not listed/);
    const other = await loadOrCreateSigningKey(dir, 'other');
    expect((await verifyBundle(bundle, { keys: [other.publicJwk] })).ok).toBe(false);
  });
  it('fail once expired', async () => {
    const later = new Date(Date.now() + 31 * 86_400_000);
    expect((await verifyBundle(bundle, jwks(), later)).problems.join()).toMatch(/expired/);
  });
});
