// One stretch of the audit log checked on its own: every body against its leaf hash, the
// indexed columns against the body, the chain link from the previous row's stored chain hash,
// and the Merkle subtrees of the stretch. Each entry needs only its predecessor's stored
// chain hash, so stretches are checked on several threads and joined by the caller
// (auditLog.verify): the first problem by seq is the one reported, as in a single pass.
import { createHash } from 'node:crypto';
import { leafHash, MerkleAccumulator, type Subtree } from './merkle.ts';

/** seq, at, kind, actor, tenant, subject, body, leaf_hash, chain_hash, purged_at */
export type AuditRowTuple = readonly [number, string, string, string, string | null, string | null, string, Uint8Array, Uint8Array, string | null];

export const SEGMENT_COLUMNS = 'seq, at, kind, actor, tenant, subject, body, leaf_hash, chain_hash, purged_at';

export interface SegmentProblem {
  readonly seq: number;
  readonly reason: string;
}

export interface SegmentResult {
  /** Entries that verified, from the segment's first seq on. */
  readonly count: number;
  /** The Merkle subtrees of those entries, largest first. */
  readonly stack: Subtree[];
  /** The subtrees at each asked-for log size inside the segment (checkpoints to meet). */
  readonly snapshots: { readonly size: number; readonly stack: Subtree[] }[];
  readonly problem?: SegmentProblem;
}

/**
 * Checks rows from seq `first` up to `last` (inclusive; Infinity: to the end of the rows). `prevChain` is the stored chain hash
 * of entry first−1 (zeros for the first entry). `sizes` are the log sizes, ascending, at which
 * the caller wants the subtrees.
 */
export function verifySegment(rows: Iterable<AuditRowTuple>, first: number, last: number, prevChain: Uint8Array, sizes: readonly number[]): SegmentResult {
  const tree = new MerkleAccumulator();
  const snapshots: { size: number; stack: Subtree[] }[] = [];
  let nextSize = 0;
  while (nextSize < sizes.length && sizes[nextSize]! < first) nextSize++;
  const done = (problem?: SegmentProblem): SegmentResult => ({ count: tree.size, stack: tree.snapshot(), snapshots, ...(problem ? { problem } : {}) });
  let prev = prevChain;
  let expected = first;
  for (const row of rows) {
    if (expected > last) break;
    const [seq, , , , , , body, storedLeaf, storedChain, purgedAt] = row;
    if (seq !== expected) return done({ seq: expected, reason: `entry ${expected} is missing (next stored entry is ${seq})` });
    let leaf: Uint8Array;
    if (purgedAt) {
      // Purged under retention: the body is gone, its leaf hash still binds the tree and chain.
      leaf = storedLeaf;
    } else {
      const computed = leafHash(Buffer.from(body, 'utf8'));
      if (!computed.equals(storedLeaf)) return done({ seq, reason: 'entry body does not match its leaf hash (edited)' });
      if (!columnsMatch(row)) return done({ seq, reason: 'entry columns do not match its hashed body (reordered or edited)' });
      leaf = computed;
    }
    const chain = createHash('sha256').update(prev).update(leaf).digest();
    if (!chain.equals(storedChain)) return done({ seq, reason: purgedAt ? 'hash chain broken at this (purged) entry' : 'hash chain broken at this entry' });
    prev = storedChain;
    tree.push(leaf);
    expected++;
    while (nextSize < sizes.length && sizes[nextSize]! === seq) {
      snapshots.push({ size: seq, stack: tree.snapshot() });
      nextSize++;
    }
  }
  // A bounded segment that stops short would join misaligned: a missing entry, not a pass.
  if (Number.isFinite(last) && expected <= last) return done({ seq: expected, reason: `entry ${expected} is missing (the rows end at ${expected - 1})` });
  return done();
}

/**
 * The indexed columns must say what the hashed body says. Bodies are canonical JSON (sorted
 * keys), so the check is a prefix and a suffix comparison, not a parse.
 */
function columnsMatch([seq, at, kind, actor, tenant, subject, body]: AuditRowTuple): boolean {
  const head = `{"actor":${JSON.stringify(actor)},"at":${JSON.stringify(at)},"data":`;
  const tail = `,"kind":${JSON.stringify(kind)},"seq":${seq},"subject":${JSON.stringify(subject)},"tenant":${JSON.stringify(tenant)}}`;
  return body.startsWith(head) && body.endsWith(tail);
}
