// RFC 6962 / RFC 9162 Merkle tree hashing, inclusion and consistency proofs. Checked against
// the transparency-dev test vectors in ../shared/vectors/rfc6962 (lineage/merkle.test.ts).
import { createHash } from 'node:crypto';

export function leafHash(data: Uint8Array): Buffer {
  return createHash('sha256')
    .update(Buffer.from([0]))
    .update(data)
    .digest();
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash('sha256')
    .update(Buffer.from([1]))
    .update(left)
    .update(right)
    .digest();
}

export const EMPTY_ROOT = createHash('sha256').digest();

/** Largest power of two strictly less than n (n > 1). */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * MTH over a stream of leaves, in O(log n) memory: complete subtrees are merged left to right
 * like a binary counter, and root() folds the pending ones right to left. The root of any
 * prefix is available when the prefix has been pushed (used to check every checkpoint in one pass).
 */
export interface Subtree {
  readonly size: number;
  readonly hash: Uint8Array;
}

export class MerkleAccumulator {
  private readonly stack: Subtree[] = [];
  size = 0;

  /** An accumulator continued from a snapshot() of another (a verify segment's or the log's). */
  static from(stack: readonly Subtree[]): MerkleAccumulator {
    const acc = new MerkleAccumulator();
    acc.pushAll(stack);
    return acc;
  }

  push(leaf: Uint8Array): void {
    this.pushSubtree({ size: 1, hash: leaf });
  }

  /**
   * Adds the root of a complete subtree of `size` (a power of two) leaves. Correct when the
   * subtree starts at a multiple of its size: a verify segment of 2^k entries starting at a
   * multiple of 2^k, or the pending subtrees of one, which are all smaller than anything here.
   */
  pushSubtree(tree: Subtree): void {
    let cur = tree;
    while (this.stack.length > 0 && this.stack[this.stack.length - 1]!.size === cur.size) {
      const left = this.stack.pop()!;
      cur = { size: left.size * 2, hash: nodeHash(left.hash, cur.hash) };
    }
    this.stack.push(cur);
    this.size += tree.size;
  }

  pushAll(stack: readonly Subtree[]): void {
    for (const t of stack) this.pushSubtree(t);
  }

  /** The pending complete subtrees, largest first: enough to continue or to take a root. */
  snapshot(): Subtree[] {
    return [...this.stack];
  }

  root(): Buffer {
    if (this.stack.length === 0) return EMPTY_ROOT;
    let acc: Buffer = Buffer.from(this.stack[this.stack.length - 1]!.hash);
    for (let i = this.stack.length - 2; i >= 0; i--) acc = nodeHash(this.stack[i]!.hash, acc);
    return acc;
  }
}

/** MTH(D[0:n]) over leaf hashes. */
export function rootOf(leaves: readonly Uint8Array[]): Buffer {
  const acc = new MerkleAccumulator();
  for (const leaf of leaves) acc.push(leaf);
  return acc.root();
}

/** PATH(m, D[0:n]) of RFC 6962 §2.1.1. */
export function inclusionProof(index: number, leaves: readonly Uint8Array[]): Buffer[] {
  const n = leaves.length;
  if (index < 0 || index >= n) throw new RangeError('leaf index out of range');
  if (n === 1) return [];
  const k = split(n);
  if (index < k) return [...inclusionProof(index, leaves.slice(0, k)), rootOf(leaves.slice(k))];
  return [...inclusionProof(index - k, leaves.slice(k)), rootOf(leaves.slice(0, k))];
}

/** PROOF(m, D[0:n]) of RFC 6962 §2.1.2. */
export function consistencyProof(m: number, leaves: readonly Uint8Array[]): Buffer[] {
  const n = leaves.length;
  if (m < 1 || m > n) throw new RangeError('size out of range');
  if (m === n) return [];
  return subproof(m, leaves, true);
}

function subproof(m: number, leaves: readonly Uint8Array[], complete: boolean): Buffer[] {
  const n = leaves.length;
  if (m === n) return complete ? [] : [rootOf(leaves)];
  const k = split(n);
  if (m <= k) return [...subproof(m, leaves.slice(0, k), complete), rootOf(leaves.slice(k))];
  return [...subproof(m - k, leaves.slice(k), false), rootOf(leaves.slice(0, k))];
}

const eq = (a: Uint8Array, b: Uint8Array) => a.length === b.length && Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;

/** RFC 9162 §2.1.3.2. */
export function verifyInclusion(index: number, size: number, leaf: Uint8Array, proof: readonly Uint8Array[], root: Uint8Array): boolean {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return false;
  if (leaf.length !== 32 || root.length !== 32 || proof.some((p) => p.length !== 32)) return false;
  let fn = index;
  let sn = size - 1;
  let r: Buffer = Buffer.from(leaf);
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && eq(r, root);
}

/** RFC 9162 §2.1.4.2. */
export function verifyConsistency(size1: number, size2: number, root1: Uint8Array, root2: Uint8Array, proof: readonly Uint8Array[]): boolean {
  if (!Number.isSafeInteger(size1) || !Number.isSafeInteger(size2) || size1 < 0 || size2 < size1) return false;
  // As transparency-dev: a proof from the empty tree proves nothing and is refused.
  if (size1 === 0) return false;
  if (size1 === size2) return proof.length === 0 && eq(root1, root2);
  if (root1.length !== 32 || root2.length !== 32 || proof.some((p) => p.length !== 32)) return false;
  let path = [...proof];
  if (isPowerOfTwo(size1)) path = [Buffer.from(root1), ...path];
  if (path.length === 0) return false;
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr: Buffer = Buffer.from(path[0]!);
  let sr: Buffer = Buffer.from(path[0]!);
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && eq(fr, root1) && eq(sr, root2);
}

function isPowerOfTwo(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}
