// Signed export bundles: the output as CSV and Parquet, a manifest (request, scenario, approvers, lineage
// hashes, each file's sha256, expiry) and the manifest signed as a compact JWS (EdDSA,
// Ed25519). verifyBundle() needs only the bundle (a folder, or the same as one file) and the
// domain's public JWKS.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
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
    const text = `${JSON.stringify(manifest, null, 2)}\n`;
    writeFileSync(join(tmp, 'manifest.json'), text);
    const jws = await new CompactSign(Buffer.from(text, 'utf8'))
      .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'opdomain-bundle+jws' })
      .sign(key.privateKey);
    writeFileSync(join(tmp, 'manifest.jws'), `${jws}\n`);
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

/**
 * A bundle as one file (what `GET /api/exports/ID/bundle` answers and `opdomain export download`
 * writes): the signed manifest as its JWS (whose payload is the manifest's exact text) and every
 * file of the folder, text as UTF-8 and the rest as base64. It verifies like the folder does.
 */
export interface BundleFile {
  readonly format: 'opdomain-bundle-file/1';
  readonly manifest: Manifest;
  readonly jws: string;
  readonly files: readonly { readonly name: string; readonly encoding: 'utf8' | 'base64'; readonly content: string }[];
}

/** The folder as one file. */
export function readBundleFile(dir: string): BundleFile {
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  const files = readdirSync(dir)
    .filter((n) => n !== 'manifest.json' && n !== 'manifest.jws')
    .sort()
    .map((name) => {
      const encoding = name.endsWith('.parquet') ? ('base64' as const) : ('utf8' as const);
      return { name, encoding, content: readFileSync(join(dir, name), encoding) };
    });
  return { format: 'opdomain-bundle-file/1', manifest, jws: readFileSync(join(dir, 'manifest.jws'), 'utf8').trim(), files };
}

/** What verification needs, however the bundle came: the JWS, the manifest text if separate, and the files' bytes. */
interface BundleParts {
  readonly jws: string;
  /** manifest.json of a folder (must equal the signed text); a bundle file carries only the signed one. */
  readonly manifestText?: string;
  /** The manifest a bundle file shows beside its signature: a reader may trust it, so it must be the signed one. */
  readonly shownManifest?: unknown;
  readonly files: ReadonlyMap<string, Buffer>;
}

/** Checks a bundle offline — a folder or a single bundle file: signature by a key of `jwks`, manifest bytes, every file's hash, expiry. */
export async function verifyBundle(path: string, jwks: { keys: readonly JWK[] }, now = new Date()): Promise<BundleVerification> {
  if (!existsSync(path)) return { ok: false, problems: [`${basename(path)} does not exist`] };
  const parts = statSync(path).isDirectory() ? folderParts(path) : fileParts(path);
  if ('problem' in parts) return { ok: false, problems: [parts.problem] };
  return verifyParts(parts, jwks, now);
}

function folderParts(dir: string): BundleParts | { problem: string } {
  if (!existsSync(join(dir, 'manifest.jws')) || !existsSync(join(dir, 'manifest.json'))) return { problem: 'manifest.json or manifest.jws is missing' };
  const files = new Map(
    readdirSync(dir)
      .filter((n) => n !== 'manifest.json' && n !== 'manifest.jws')
      .map((n) => [n, readFileSync(join(dir, n))] as const),
  );
  return { jws: readFileSync(join(dir, 'manifest.jws'), 'utf8').trim(), manifestText: readFileSync(join(dir, 'manifest.json'), 'utf8'), files };
}

function fileParts(file: string): BundleParts | { problem: string } {
  let doc: Partial<BundleFile>;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8')) as Partial<BundleFile>;
  } catch {
    return { problem: `${basename(file)} is neither a bundle folder nor a bundle file (JSON)` };
  }
  if (doc.format !== 'opdomain-bundle-file/1' || typeof doc.jws !== 'string' || !Array.isArray(doc.files))
    return { problem: `${basename(file)} is not an opdomain-bundle-file/1` };
  const files = new Map<string, Buffer>();
  for (const f of doc.files) {
    if (!f || typeof f.name !== 'string' || typeof f.content !== 'string' || (f.encoding !== 'utf8' && f.encoding !== 'base64'))
      return { problem: 'a file entry of the bundle is malformed' };
    if (files.has(f.name)) return { problem: `${f.name} appears twice in the bundle` };
    files.set(f.name, Buffer.from(f.content, f.encoding));
  }
  return { jws: doc.jws.trim(), shownManifest: doc.manifest, files };
}

async function verifyParts(parts: BundleParts, jwks: { keys: readonly JWK[] }, now: Date): Promise<BundleVerification> {
  const problems: string[] = [];
  let payload: Uint8Array | undefined;
  let header: { kid?: string } = {};
  try {
    header = JSON.parse(Buffer.from(parts.jws.split('.')[0] ?? '', 'base64url').toString('utf8'));
  } catch {
    return { ok: false, problems: ['manifest.jws is not a compact JWS'] };
  }
  for (const jwk of jwks.keys) {
    if (header.kid && jwk.kid && jwk.kid !== header.kid) continue;
    try {
      const key = await importJWK(jwk, 'EdDSA');
      payload = (await compactVerify(parts.jws, key, { algorithms: ['EdDSA'] })).payload;
      break;
    } catch {
      // try the next key
    }
  }
  if (!payload) return { ok: false, problems: ["the manifest signature does not verify with the domain's public key"] };
  const signedText = Buffer.from(payload).toString('utf8');
  if (parts.manifestText !== undefined && parts.manifestText !== signedText) problems.push('manifest.json differs from the signed manifest');
  const manifest = JSON.parse(signedText) as Manifest;
  if (parts.shownManifest !== undefined && JSON.stringify(parts.shownManifest) !== JSON.stringify(manifest))
    problems.push('the manifest shown in the file differs from the signed manifest');
  const listed = new Set(manifest.files.map((f) => f.name));
  for (const f of manifest.files) {
    const bytes = parts.files.get(f.name);
    if (!bytes) problems.push(`${f.name} is missing`);
    else if (sha256(bytes) !== f.sha256) problems.push(`${f.name} does not match its sha256 in the manifest`);
  }
  for (const name of parts.files.keys()) if (!listed.has(name)) problems.push(`${name} is not listed in the manifest`);
  if (new Date(manifest.expiresAt) < now) problems.push(`the bundle expired at ${manifest.expiresAt}`);
  return { ok: problems.length === 0, manifest, problems };
}

export function checkBundle(v: BundleVerification): void {
  if (!v.ok) throw new OpError('EXPORT_BUNDLE_INVALID', v.problems.join('; '));
}
