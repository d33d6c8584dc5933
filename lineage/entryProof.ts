// An auditor's check of one log entry with nothing but the entry, its inclusion proof and a
// signed checkpoint (plus the domain's public key): no access to the log itself is needed.
import { compactVerify, importJWK, type JWK } from 'jose';
import { leafHash, verifyInclusion } from './merkle.ts';
import type { Checkpoint } from './auditLog.ts';

export interface EntryProof {
  /** The entry's stored body, exactly as hashed (canonical JSON). */
  readonly entry: string;
  readonly seq: number;
  readonly treeSize: number;
  /** base64 hashes, leaf to root. */
  readonly proof: readonly string[];
  readonly checkpoint: Checkpoint;
}

export async function verifyEntryProof(p: EntryProof, jwks: { keys: readonly JWK[] }): Promise<{ ok: boolean; problems: string[] }> {
  const problems: string[] = [];
  let signed: { size: number; root: string } | undefined;
  for (const jwk of jwks.keys) {
    try {
      const { payload } = await compactVerify(p.checkpoint.jws, await importJWK(jwk, 'EdDSA'), { algorithms: ['EdDSA'] });
      signed = JSON.parse(new TextDecoder().decode(payload));
      break;
    } catch {
      // next key
    }
  }
  if (!signed) return { ok: false, problems: ['the checkpoint signature does not verify with the domain key'] };
  if (signed.size !== p.treeSize) problems.push(`the proof is for a tree of ${p.treeSize} entries, the checkpoint signs ${signed.size}`);
  let seqInBody: unknown;
  try {
    seqInBody = (JSON.parse(p.entry) as { seq?: unknown }).seq;
  } catch {
    problems.push('the entry is not valid JSON');
  }
  if (seqInBody !== p.seq) problems.push('the entry body names another sequence number');
  const ok = verifyInclusion(
    p.seq - 1,
    signed.size,
    leafHash(Buffer.from(p.entry, 'utf8')),
    p.proof.map((x) => Buffer.from(x, 'base64')),
    Buffer.from(signed.root, 'base64'),
  );
  if (!ok) problems.push('the entry is not included in the signed tree (entry or proof altered)');
  return { ok: problems.length === 0, problems };
}
