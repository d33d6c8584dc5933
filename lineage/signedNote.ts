// C2SP signed notes (https://c2sp.org/signed-note) with Ed25519, used for audit-log
// checkpoints in the C2SP tlog-checkpoint form: "<origin>\n<size>\n<base64 root>\n", then a
// blank line and "— <key name> <base64(key hash ‖ signature)>".
import { createHash, createPublicKey, KeyObject, sign, verify } from 'node:crypto';
import type { JWK } from 'jose';
import type { SigningKey } from './domainKey.ts';

const ALG_ED25519 = 0x01;

function keyHash(name: string, publicRaw: Buffer): Buffer {
  return createHash('sha256')
    .update(Buffer.concat([Buffer.from(`${name}\n`, 'utf8'), Buffer.from([ALG_ED25519]), publicRaw]))
    .digest()
    .subarray(0, 4);
}

/** The C2SP verifier key string: <name>+<hex key hash>+<base64(alg ‖ public key)>. */
export function verifierKey(name: string, jwk: JWK): string {
  const raw = Buffer.from(jwk.x!, 'base64url');
  return `${name}+${keyHash(name, raw).toString('hex')}+${Buffer.concat([Buffer.from([ALG_ED25519]), raw]).toString('base64')}`;
}

export function signNote(text: string, name: string, key: SigningKey): string {
  if (!text.endsWith('\n')) throw new Error('a note text ends with a newline');
  const raw = Buffer.from(key.publicJwk.x!, 'base64url');
  const sig = sign(null, Buffer.from(text, 'utf8'), KeyObject.from(key.privateKey as unknown as Parameters<typeof KeyObject.from>[0]));
  return `${text}\n— ${name} ${Buffer.concat([keyHash(name, raw), sig]).toString('base64')}\n`;
}

/** Returns the note's text if a signature line by `name` verifies with `jwk`, else null. */
export function openNote(note: string, name: string, jwk: JWK): string | null {
  const split = note.lastIndexOf('\n\n');
  if (split < 0) return null;
  const text = note.slice(0, split + 1);
  const raw = Buffer.from(jwk.x ?? '', 'base64url');
  if (raw.length !== 32) return null;
  const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x! }, format: 'jwk' });
  for (const line of note.slice(split + 2).split('\n')) {
    const m = /^— (\S+) ([A-Za-z0-9+/=]+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const blob = Buffer.from(m[2]!, 'base64');
    if (blob.length !== 68 || !blob.subarray(0, 4).equals(keyHash(name, raw))) continue;
    if (verify(null, Buffer.from(text, 'utf8'), publicKey, blob.subarray(4))) return text;
  }
  return null;
}
