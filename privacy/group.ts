// The prime-order group of the private set intersection: ristretto255 (RFC 9496) from
// @noble/curves, identifiers hashed onto it with RFC 9380's hash_to_ristretto255, scalars drawn
// from the operating system's randomness. Nothing here is hand-rolled: encode, decode, hash and
// multiply are the library's; this file only names them for the protocol.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ristretto255, ristretto255_hasher } from '@noble/curves/ed25519.js';
import { OpError } from '../errors/index.ts';

const { Point } = ristretto255;
type GroupPoint = InstanceType<typeof Point>;
export type { GroupPoint };

/** Domain separation tag: both sides hash identifiers onto the group with it. */
export const PSI_DST = 'opdomain-psi-v1:ristretto255_XMD:SHA-512_R255MAP_RO_';
const enc = new TextEncoder();

/** A fresh secret scalar (never 0), reduced from 64 random bytes. */
export function randomScalar(): bigint {
  for (;;) {
    const k = Point.Fn.create(BigInt(`0x${randomBytes(64).toString('hex')}`));
    if (k !== 0n) return k;
  }
}

/** An identifier on the group (trimmed, upper-case: a resident ID's check character may be x or X). */
export function hashToGroup(id: string): GroupPoint {
  return ristretto255_hasher.hashToCurve(enc.encode(id.trim().toUpperCase()), { DST: PSI_DST }) as GroupPoint;
}

export function blind(p: GroupPoint, k: bigint): GroupPoint {
  return p.multiply(k);
}

/** 32 bytes, base64url: the only thing a transcript carries. */
export function encodePoint(p: GroupPoint): string {
  return Buffer.from(p.toBytes()).toString('base64url');
}

/** A canonical ristretto255 encoding, or PSI_INVALID_ELEMENT (never the identity). */
export function decodePoint(s: unknown, where: string): GroupPoint {
  if (typeof s !== 'string' || s.length !== 43) throw new OpError('PSI_INVALID_ELEMENT', `${where} is not a 32-byte group element`);
  try {
    const p = Point.fromBytes(Buffer.from(s, 'base64url'));
    if (p.is0()) throw new Error('identity');
    return p;
  } catch {
    throw new OpError('PSI_INVALID_ELEMENT', `${where} is not a valid ristretto255 element`);
  }
}

/** The MAC that binds a message to its session and step: a replayed or altered message fails it. */
export function messageMac(key: Buffer, session: string, step: string, elements: readonly string[]): string {
  const digest = createHash('sha256').update(elements.join(',')).digest('hex');
  return createHmac('sha256', key).update(`${session}|${step}|${elements.length}|${digest}`).digest('base64url');
}

export function checkMac(key: Buffer, session: string, step: string, elements: readonly string[], mac: unknown): void {
  const want = Buffer.from(messageMac(key, session, step, elements));
  const got = Buffer.from(typeof mac === 'string' ? mac : '');
  if (got.length !== want.length || !timingSafeEqual(got, want))
    throw new OpError(
      'PSI_TAMPERED',
      "the message does not carry this session's MAC for this step: altered, replayed from another step or session, or not from this client",
    );
}
