// In-page check of an audit entry (RFC 6962 / 9162 inclusion proof) against a signed
// checkpoint, with WebCrypto: SHA-256 for the tree, Ed25519 for the checkpoint's JWS.

const te = new TextEncoder();
const b64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const b64url = (s) =>
  b64(
    s
      .replace(/-/g, '+')
      .replace(/_/g, '/')
      .padEnd(Math.ceil(s.length / 4) * 4, '='),
  );

async function sha256(...parts) {
  const len = parts.reduce((n, p) => n + p.length, 0);
  const buf = new Uint8Array(len);
  let o = 0;
  for (const p of parts) {
    buf.set(p, o);
    o += p.length;
  }
  return new Uint8Array(await crypto.subtle.digest('SHA-256', buf));
}
const leafHash = (data) => sha256(Uint8Array.of(0), data);
const nodeHash = (l, r) => sha256(Uint8Array.of(1), l, r);
const eq = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

/** RFC 9162 §2.1.3.2. */
export async function verifyInclusion(index, size, leaf, proof, root) {
  if (index < 0 || index >= size) return false;
  let fn = index,
    sn = size - 1,
    r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(p, r);
      if (fn % 2 === 0)
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
    } else r = await nodeHash(r, p);
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && eq(r, root);
}

/** Verifies the checkpoint's compact JWS with one of the domain's Ed25519 keys; returns its payload or null. */
export async function verifyCheckpoint(jws, jwks) {
  const [head, payload, sig] = jws.split('.');
  for (const jwk of jwks.keys) {
    try {
      const key = await crypto.subtle.importKey('jwk', { kty: jwk.kty, crv: jwk.crv, x: jwk.x }, { name: 'Ed25519' }, false, ['verify']);
      if (await crypto.subtle.verify({ name: 'Ed25519' }, key, b64url(sig), te.encode(`${head}.${payload}`)))
        return JSON.parse(new TextDecoder().decode(b64url(payload)));
    } catch {
      /* next key, or Ed25519 unsupported */
    }
  }
  return null;
}

/** The whole check of GET /api/audit/entries/SEQ: { ok, signed, included, problems }. */
export async function checkEntry(p, jwks) {
  const problems = [];
  const signed = await verifyCheckpoint(p.checkpoint.jws, jwks);
  if (!signed) problems.push('checkpoint signature');
  const root = b64(signed ? signed.root : p.checkpoint.root);
  const size = signed ? signed.size : p.checkpoint.size;
  if (size !== p.treeSize) problems.push('tree size');
  let seq;
  try {
    seq = JSON.parse(p.entry).seq;
  } catch {
    problems.push('entry JSON');
  }
  if (seq !== p.seq) problems.push('sequence number');
  const included = await verifyInclusion(p.seq - 1, size, await leafHash(te.encode(p.entry)), p.proof.map(b64), root);
  if (!included) problems.push('inclusion');
  return { ok: problems.length === 0, signed: Boolean(signed), included, size, problems };
}
