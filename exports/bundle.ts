// Signed export bundles: the output as CSV and Parquet, a manifest (request, scenario, approvers, lineage
// hashes, each file's sha256, expiry) and the manifest signed as a compact JWS (EdDSA,
// Ed25519). verifyBundle() needs only the bundle folder and the domain's public JWKS.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CompactSign, compactVerify, importJWK, type JWK } from 'jose';
import { OpError } from '../errors/index.ts';
import type { SigningKey } from '../lineage/index.ts';
import { toCsv } from './csv.ts';
import { writeParquet } from './parquet.ts';

export interface ManifestInput {
  readonly bundleId: string;
  readonly requestId: string;
  readonly tenant: string;
  readonly scenario: string;
  readonly jobId: string;
  readonly output: string;
  readonly requester: string;
  readonly approvers: readonly string[];
  readonly scriptHash: string;
  readonly outputHash: string;
  readonly policyHash: string | null;
  readonly datasetVersions: readonly { dataset: string; version: number; contentHash: string }[];
  readonly verdict: string;
  readonly validDays: number;
  /** The one-step fix applied before release (suppressed cells, rounding), if any. */
  readonly fix?: unknown;
}

export interface Manifest extends Omit<ManifestInput, 'validDays'> {
  readonly format: 'opdomain-bundle/1';
  readonly issuedAt: string;
  readonly expiresAt: string;
  readonly files: readonly { name: string; sha256: string; bytes: number; rows: number }[];
}

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

export async function writeBundle(
  dir: string,
  input: ManifestInput,
  data: { columns: readonly { name: string; type?: string }[]; rows: readonly (readonly unknown[])[] },
  key: SigningKey,
): Promise<{ manifest: Manifest; manifestSha256: string; path: string }> {
  const tmp = `${dir}.partial`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    const csv = Buffer.from(toCsv(data.columns, data.rows), 'utf8');
    const file = `${input.output}.csv`;
    writeFileSync(join(tmp, file), csv);
    const pq = `${input.output}.parquet`;
    await writeParquet(join(tmp, pq), data.columns, data.rows);
    const pqBytes = readFileSync(join(tmp, pq));
    const issued = new Date();
    const { validDays, ...rest } = input;
    const manifest: Manifest = {
      format: 'opdomain-bundle/1',
      ...rest,
      issuedAt: issued.toISOString(),
      expiresAt: new Date(issued.getTime() + validDays * 86_400_000).toISOString(),
      files: [
        { name: file, sha256: sha256(csv), bytes: csv.length, rows: data.rows.length },
        { name: pq, sha256: sha256(pqBytes), bytes: pqBytes.length, rows: data.rows.length },
      ],
    };
    const text = JSON.stringify(manifest, null, 2) + '\n';
    writeFileSync(join(tmp, 'manifest.json'), text);
    const jws = await new CompactSign(Buffer.from(text, 'utf8'))
      .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'opdomain-bundle+jws' })
      .sign(key.privateKey);
    writeFileSync(join(tmp, 'manifest.jws'), jws + '\n');
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
    return { manifest, manifestSha256: sha256(text), path: dir };
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

export interface BundleVerification {
  readonly ok: boolean;
  readonly manifest?: Manifest;
  readonly problems: readonly string[];
}

/** Checks a bundle offline: signature by a key of `jwks`, manifest bytes, every file's hash, expiry. */
export async function verifyBundle(dir: string, jwks: { keys: readonly JWK[] }, now = new Date()): Promise<BundleVerification> {
  const problems: string[] = [];
  const jwsPath = join(dir, 'manifest.jws');
  if (!existsSync(jwsPath) || !existsSync(join(dir, 'manifest.json'))) {
    return { ok: false, problems: ['manifest.json or manifest.jws is missing'] };
  }
  const jws = readFileSync(jwsPath, 'utf8').trim();
  let payload: Uint8Array | undefined;
  let header: { kid?: string } = {};
  try {
    header = JSON.parse(Buffer.from(jws.split('.')[0] ?? '', 'base64url').toString('utf8'));
  } catch {
    return { ok: false, problems: ['manifest.jws is not a compact JWS'] };
  }
  for (const jwk of jwks.keys) {
    if (header.kid && jwk.kid && jwk.kid !== header.kid) continue;
    try {
      const key = await importJWK(jwk, 'EdDSA');
      payload = (await compactVerify(jws, key, { algorithms: ['EdDSA'] })).payload;
      break;
    } catch {
      // try the next key
    }
  }
  if (!payload) return { ok: false, problems: ['the manifest signature does not verify with the domain\'s public key'] };
  const signedText = Buffer.from(payload).toString('utf8');
  if (readFileSync(join(dir, 'manifest.json'), 'utf8') !== signedText) problems.push('manifest.json differs from the signed manifest');
  const manifest = JSON.parse(signedText) as Manifest;
  const listed = new Set(manifest.files.map((f) => f.name));
  for (const f of manifest.files) {
    const p = join(dir, f.name);
    if (!existsSync(p)) problems.push(`${f.name} is missing`);
    else if (sha256(readFileSync(p)) !== f.sha256) problems.push(`${f.name} does not match its sha256 in the manifest`);
  }
  for (const name of readdirSync(dir)) {
    if (name !== 'manifest.json' && name !== 'manifest.jws' && !listed.has(name)) problems.push(`${name} is not listed in the manifest`);
  }
  if (new Date(manifest.expiresAt) < now) problems.push(`the bundle expired at ${manifest.expiresAt}`);
  return { ok: problems.length === 0, manifest, problems };
}

export function checkBundle(v: BundleVerification): void {
  if (!v.ok) throw new OpError('EXPORT_BUNDLE_INVALID', v.problems.join('; '));
}
