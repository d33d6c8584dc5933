import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadOrCreateSigningKey, type SigningKey } from '../lineage/index.ts';
import { readBundleFile, verifyBundle, writeBundle } from './index.ts';

let dir: string;
let key: SigningKey;
let bundle: string;
const input = {
  bundleId: 'bnd_test',
  requestId: 'exp_test',
  tenant: 'demo',
  scenario: 'public-statistics',
  jobId: 'job_x',
  output: 'table',
  requester: 'alice',
  approvers: ['bob'],
  scriptHash: 'a'.repeat(64),
  outputHash: 'b'.repeat(64),
  policyHash: 'c'.repeat(64),
  datasetVersions: [],
  verdict: 'pass',
  validDays: 30,
};

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'opdomain-bundle-'));
  key = await loadOrCreateSigningKey(dir, 'domain');
  bundle = join(dir, 'bnd_test');
  await writeBundle(
    bundle,
    input,
    {
      columns: [{ name: 'county' }, { name: 'n' }],
      rows: [
        ['330106', 12],
        ['=cmd|calc', 30],
      ],
    },
    key,
  );
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const jwks = () => ({ keys: [key.publicJwk] });

describe('signed bundles', () => {
  it('verify offline with the public key only; CSV injection is neutralised', async () => {
    const v = await verifyBundle(bundle, jwks());
    expect(v).toMatchObject({ ok: true, problems: [] });
    expect(v.manifest).toMatchObject({
      scenario: 'public-statistics',
      approvers: ['bob'],
      files: [
        { name: 'table.csv', rows: 2 },
        { name: 'table.parquet', rows: 2 },
      ],
    });
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

  describe('as one file', () => {
    const asFile = (edit: (b: ReturnType<typeof readBundleFile>) => unknown = (b) => b) => {
      const file = join(dir, 'one.bundle.json');
      writeFileSync(file, JSON.stringify(edit(readBundleFile(bundle))));
      return file;
    };
    it('verifies as the folder does, Parquet bytes included', async () => {
      const v = await verifyBundle(asFile(), jwks());
      expect(v).toMatchObject({ ok: true, problems: [] });
      expect(v.manifest!.files.map((f) => f.name)).toEqual(['table.csv', 'table.parquet']);
    });
    it("fails when a file is changed, dropped, added or twice, the signature is another key's, or it is not a bundle", async () => {
      const edit = (f: (files: { name: string; encoding: string; content: string }[]) => unknown[]) => (b: ReturnType<typeof readBundleFile>) => ({
        ...b,
        files: f(b.files.map((x) => ({ ...x }))),
      });
      const problems = async (file: string) => (await verifyBundle(file, jwks())).problems.join();
      expect(await problems(asFile(edit((fs) => fs.map((x) => (x.name === 'table.csv' ? { ...x, content: `${x.content}1,1\r\n` } : x)))))).toMatch(
        /table.csv does not match/,
      );
      expect(
        await problems(asFile(edit((fs) => fs.map((x) => (x.name === 'table.parquet' ? { ...x, content: Buffer.from('PAR1').toString('base64') } : x))))),
      ).toMatch(/table.parquet does not match/);
      expect(await problems(asFile(edit((fs) => fs.filter((x) => x.name !== 'table.parquet'))))).toMatch(/table.parquet is missing/);
      expect(await problems(asFile(edit((fs) => [...fs, { name: 'extra.csv', encoding: 'utf8', content: 'x' }])))).toMatch(/extra.csv is not listed/);
      expect(await problems(asFile(edit((fs) => [...fs, fs[0]])))).toMatch(/appears twice/);
      expect(await problems(asFile((b) => ({ ...b, manifest: { ...b.manifest, scenario: 'marketing' } })))).toMatch(/manifest shown in the file differs/);
      const other = await loadOrCreateSigningKey(dir, 'other');
      expect((await verifyBundle(asFile(), { keys: [other.publicJwk] })).ok).toBe(false);
      writeFileSync(join(dir, 'not.json'), '{"format": "something else"}');
      expect(await problems(join(dir, 'not.json'))).toMatch(/not an opdomain-bundle-file/);
      writeFileSync(join(dir, 'garbage.bin'), 'PK\u0003\u0004');
      expect(await problems(join(dir, 'garbage.bin'))).toMatch(/neither a bundle folder nor a bundle file/);
    });
  });
});
