// The domain's append-only audit log: every allow and deny of every layer. Entries are
// hash-chained and form an RFC 6962 Merkle tree; signed checkpoints pin its size and root.
// An append runs inside the caller's transaction, so a state change and its event commit
// together, and a failed append fails the action.
import { createHash } from 'node:crypto';
import { CompactSign, compactVerify, importJWK, type CryptoKey, type JWK } from 'jose';
import { OpError } from '../errors/index.ts';
import type { Store } from '../store/index.ts';
import { canonicalJson } from './canonical.ts';
import type { AuditEventOf, EventKind } from './events.ts';
import type { SigningKey } from './domainKey.ts';
import { openNote, signNote } from './signedNote.ts';
import { consistencyProof, EMPTY_ROOT, inclusionProof, leafHash, MerkleAccumulator, rootOf } from './merkle.ts';
import { parallelPlan, verifyInParallel, type ParallelOptions } from './parallelVerify.ts';
import { SEGMENT_COLUMNS, verifySegment, type AuditRowTuple, type SegmentResult } from './verifySegment.ts';

/**
 * An event as written: for the kinds of `AuditPayloads` (events.ts) the payload is checked
 * against the kind's type; the others carry a plain record of hashes and identifiers.
 */
export type AuditEvent = { [K in EventKind]: AuditEventOf<K> }[EventKind];

const INSERT_AUDIT = 'INSERT INTO audit (seq, at, kind, actor, tenant, subject, body, leaf_hash, chain_hash) VALUES';
const ROW_PLACES = '(?, ?, ?, ?, ?, ?, ?, ?, ?)';
/** Rows per INSERT: 2,250 parameters, far below both stores' limits (SQLite 32,766, PostgreSQL 65,535). */
const INSERT_ROWS = 250;

export interface AuditEntry {
  readonly seq: number;
  readonly at: string;
  readonly kind: string;
  readonly actor: string;
  readonly tenant: string | null;
  readonly subject: string | null;
  readonly data: Record<string, unknown>;
}

export interface AuditFilter {
  readonly subject?: string;
  readonly tenant?: string;
  readonly kind?: string;
  readonly actor?: string;
  /** ISO timestamps: at ≥ since, at < until. */
  readonly since?: string;
  readonly until?: string;
  readonly afterSeq?: number;
  readonly beforeSeq?: number;
  readonly limit?: number;
  readonly newestFirst?: boolean;
}

export interface Checkpoint {
  readonly origin: string;
  readonly size: number;
  /** base64 Merkle root. */
  readonly root: string;
  readonly at: string;
  /** JWS (EdDSA) over the checkpoint JSON. */
  readonly jws: string;
  /** The C2SP tlog checkpoint body (origin, size, root) the JWS payload carries as `note`. */
  readonly note: string;
  /** The same body as a C2SP signed note (Ed25519 signature line by LOG_ORIGIN). */
  readonly signedNote?: string;
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly entries: number;
  readonly checkpoints: number;
  readonly root: string;
  /** The first problem found, naming the entry or checkpoint. */
  readonly problem?: { readonly seq?: number; readonly checkpointSize?: number; readonly reason: string };
}

interface AuditRow {
  seq: number;
  at: string;
  kind: string;
  actor: string;
  tenant: string | null;
  subject: string | null;
  body: string;
  leaf_hash: Buffer;
  chain_hash: Buffer;
  purged_at: string | null;
}

const ZERO = Buffer.alloc(32);
/** R16: operation logs are kept at least six months; we keep 180 days at the very least. */
export const RETENTION_DAYS = 180;
export const LOG_ORIGIN = 'opdomain.local/audit';

export class AuditLog {
  constructor(
    private readonly store: Store,
    private readonly key: SigningKey,
  ) {}

  /** Appends one event durably (SQLite WAL, full fsync) and returns the entry. */
  append(ev: AuditEvent): AuditEntry {
    return this.appendMany([ev])[0]!;
  }

  /**
   * Appends several events in one transaction: one fsync for the batch, acknowledged (returned)
   * only once the batch is durable. Inside a caller's transaction it commits with it.
   */
  appendMany(events: readonly AuditEvent[]): AuditEntry[] {
    try {
      return this.store.tx(() => {
        const last = this.store.get<{ seq: number; chain_hash: Buffer }>('SELECT seq, chain_hash FROM audit ORDER BY seq DESC LIMIT 1');
        let seq = last?.seq ?? 0;
        let prev: Buffer = last?.chain_hash ?? ZERO;
        const at = new Date().toISOString();
        const entries: AuditEntry[] = [];
        // A batch is written a few hundred rows to a statement, each sent while the next is
        // hashed: on a networked store each statement is a round trip (docs/benchmarks.md).
        for (let i = 0; i < events.length; i += INSERT_ROWS) {
          const rows: unknown[] = [];
          for (const ev of events.slice(i, i + INSERT_ROWS)) {
            const entry: AuditEntry = {
              seq: ++seq,
              at,
              kind: ev.kind,
              actor: ev.actor,
              tenant: ev.tenant ?? null,
              subject: ev.subject ?? null,
              data: { ...(ev.data ?? {}) },
            };
            const body = canonicalJson(entry);
            const leaf = leafHash(Buffer.from(body, 'utf8'));
            prev = createHash('sha256').update(prev).update(leaf).digest();
            rows.push(entry.seq, entry.at, entry.kind, entry.actor, entry.tenant, entry.subject, body, leaf, prev);
            entries.push(entry);
          }
          this.store.send(`${INSERT_AUDIT} ${Array.from({ length: rows.length / 9 }, () => ROW_PLACES).join(', ')}`, ...rows);
        }
        return entries;
      });
    } catch (err) {
      if (err instanceof OpError) throw err;
      throw new OpError('AUDIT_WRITE_FAILED', `the audit log could not be written: ${(err as Error).message}`);
    }
  }

  /**
   * Appends one event in the store's group commit (Store.txAsync): resolved once durable, with
   * the other events and state changes written in the same turn. `make` runs inside the write,
   * so what it records there (a statement's text) commits with the event.
   */
  async appendInGroup(make: () => AuditEvent): Promise<AuditEntry> {
    try {
      return await this.store.txAsync(() => this.append(make()));
    } catch (err) {
      if (err instanceof OpError) throw err;
      throw new OpError('AUDIT_WRITE_FAILED', `the audit log could not be written: ${(err as Error).message}`);
    }
  }

  /**
   * Retention: removes the bodies of entries older than `before`, keeping their leaf hashes so
   * the tree, the chain and every checkpoint still verify. Refused for anything younger than
   * RETENTION_DAYS (R16). Destroying a domain never touches its entries.
   */
  purge(before: Date, actor: string, now = new Date()): number {
    const limit = new Date(now.getTime() - RETENTION_DAYS * 86_400_000);
    if (!(before <= limit))
      throw new OpError('AUDIT_PURGE_REFUSED', `entries are kept at least ${RETENTION_DAYS} days: purge only before ${limit.toISOString().slice(0, 10)}`);
    return this.store.tx(() => {
      const { changes } = this.store.run(
        "UPDATE audit SET body = '', purged_at = ? WHERE at < ? AND purged_at IS NULL",
        now.toISOString(),
        before.toISOString(),
      );
      this.append({ kind: 'AUDIT_PURGED', actor, data: { before: before.toISOString(), entries: changes } });
      return changes;
    });
  }

  size(): number {
    return this.store.get<{ n: number }>('SELECT count(*) AS n FROM audit')!.n;
  }

  entry(seq: number): AuditEntry | undefined {
    const row = this.store.get<AuditRow>('SELECT * FROM audit WHERE seq = ? AND purged_at IS NULL', seq);
    return row ? (JSON.parse(row.body) as AuditEntry) : undefined;
  }

  entries(filter: AuditFilter = {}): AuditEntry[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.actor !== undefined) {
      where.push('actor = ?');
      params.push(filter.actor);
    }
    if (filter.since !== undefined) {
      where.push('at >= ?');
      params.push(filter.since);
    }
    if (filter.until !== undefined) {
      where.push('at < ?');
      params.push(filter.until);
    }
    if (filter.beforeSeq !== undefined) {
      where.push('seq < ?');
      params.push(filter.beforeSeq);
    }
    if (filter.subject !== undefined) {
      where.push('subject = ?');
      params.push(filter.subject);
    }
    if (filter.tenant !== undefined) {
      where.push('tenant = ?');
      params.push(filter.tenant);
    }
    if (filter.kind !== undefined) {
      where.push('kind = ?');
      params.push(filter.kind);
    }
    if (filter.afterSeq !== undefined) {
      where.push('seq > ?');
      params.push(filter.afterSeq);
    }
    where.push('purged_at IS NULL');
    const sql = `SELECT body FROM audit WHERE ${where.join(' AND ')} ORDER BY seq ${filter.newestFirst ? 'DESC' : ''} LIMIT ?`;
    return this.store.all<{ body: string }>(sql, ...params, filter.limit ?? 1_000_000).map((r) => JSON.parse(r.body) as AuditEntry);
  }

  private leaves(size?: number): Buffer[] {
    const rows = this.store.all<{ leaf_hash: Buffer }>('SELECT leaf_hash FROM audit WHERE seq <= ? ORDER BY seq', size ?? Number.MAX_SAFE_INTEGER);
    return rows.map((r) => r.leaf_hash);
  }

  /** Signs and stores a checkpoint of the log as it is now (no-op if the size is unchanged). */
  async checkpoint(): Promise<Checkpoint> {
    // Most calls (every CLI command closes with one) find the log unchanged: answer from the
    // stored checkpoint before reading any leaf.
    const size = this.size();
    const existing = this.store.get<{ size: number; jws: string; note: string | null }>('SELECT size, jws, note FROM checkpoints WHERE size = ?', size);
    if (existing) return this.decodeCheckpoint(existing.jws, existing.note);
    const root = rootOf(this.leaves(size)).toString('base64');
    const at = new Date().toISOString();
    const note = `${LOG_ORIGIN}\n${size}\n${root}\n`;
    const payload = canonicalJson({ origin: LOG_ORIGIN, size, root, at, note });
    const jws = await new CompactSign(new TextEncoder().encode(payload))
      .setProtectedHeader({ alg: 'EdDSA', kid: this.key.kid, typ: 'opdomain-checkpoint+jws' })
      .sign(this.key.privateKey);
    const signedNote = signNote(note, LOG_ORIGIN, this.key);
    this.store.run(
      'INSERT OR IGNORE INTO checkpoints (size, root, jws, at, note) VALUES (?, ?, ?, ?, ?)',
      size,
      Buffer.from(root, 'base64'),
      jws,
      at,
      signedNote,
    );
    return { origin: LOG_ORIGIN, size, root, at, jws, note, signedNote };
  }

  latestCheckpoint(): Checkpoint | undefined {
    const row = this.store.get<{ jws: string; note: string | null }>('SELECT jws, note FROM checkpoints ORDER BY size DESC LIMIT 1');
    return row ? this.decodeCheckpoint(row.jws, row.note) : undefined;
  }

  private decodeCheckpoint(jws: string, signedNote: string | null): Checkpoint {
    const payload = JSON.parse(Buffer.from(jws.split('.')[1]!, 'base64url').toString('utf8'));
    return { ...payload, jws, ...(signedNote ? { signedNote } : {}) };
  }

  /** The entry's stored body with its inclusion proof in the tree of `size` entries. */
  entryWithProof(seq: number, checkpoint: Checkpoint): { entry: string; seq: number; treeSize: number; proof: string[]; checkpoint: Checkpoint } {
    const row = this.store.get<{ body: string }>('SELECT body FROM audit WHERE seq = ? AND purged_at IS NULL', seq);
    if (!row || seq > checkpoint.size) throw new OpError('LINEAGE_NODE_NOT_FOUND', `no entry ${seq} under a checkpoint of ${checkpoint.size} entries`);
    return { entry: row.body, seq, treeSize: checkpoint.size, proof: this.inclusionProof(seq, checkpoint.size), checkpoint };
  }

  inclusionProof(seq: number, size: number): string[] {
    const leaves = this.leaves(size);
    if (seq < 1 || seq > leaves.length) throw new OpError('LINEAGE_NODE_NOT_FOUND', `no entry ${seq} in a log of size ${leaves.length}`);
    return inclusionProof(seq - 1, leaves).map((b) => b.toString('base64'));
  }

  consistencyProof(size1: number, size2: number): string[] {
    const leaves = this.leaves(size2);
    if (size2 > leaves.length || size1 < 1 || size1 > size2) throw new OpError('BAD_REQUEST', 'sizes out of range');
    return consistencyProof(size1, leaves).map((b) => b.toString('base64'));
  }

  /**
   * Recomputes every leaf and the chain from the stored bodies, checks every checkpoint's
   * signature (with `publicJwks`) and that each is consistent with the log, and names the
   * first entry or checkpoint that does not fit.
   */
  async verify(publicJwks: readonly JWK[], fromCheckpoint?: Checkpoint, parallel: ParallelOptions = {}): Promise<VerifyReport> {
    // Checkpoints first (before the log's size: an append meanwhile only adds entries): their
    // signatures, and the sizes whose roots the pass must meet.
    const stored = this.store.all<{ size: number; root: Buffer; jws: string; note?: string | null }>(
      'SELECT size, root, jws, note FROM checkpoints ORDER BY size',
    );
    const all = fromCheckpoint ? [...stored, { size: fromCheckpoint.size, root: Buffer.from(fromCheckpoint.root, 'base64'), jws: fromCheckpoint.jws }] : stored;
    all.sort((a, b) => a.size - b.size);
    const emptyFail = (problem: VerifyReport['problem']): VerifyReport => ({
      ok: false,
      entries: 0,
      checkpoints: all.length,
      root: EMPTY_ROOT.toString('base64'),
      problem,
    });
    const badSignature = await checkSignatures(all, publicJwks);
    if (badSignature) return emptyFail(badSignature);
    const segments = await this.segments(
      all.map((c) => c.size),
      parallel,
    );
    return joinSegments(segments, all);
  }

  /** The log checked in segments: on worker threads for a large log in a file, else in one pass here. */
  private async segments(sizes: readonly number[], parallel: ParallelOptions): Promise<SegmentResult[]> {
    const span = this.store.get<{ n: number; lo: number | null; hi: number | null }>('SELECT count(*) AS n, min(seq) AS lo, max(seq) AS hi FROM audit')!;
    // Parallel only over a gapless 1..n: a missing or stray seq is named by the single pass.
    const plan = this.store.path && span.lo === 1 && span.hi === span.n ? parallelPlan(span.n, parallel) : null;
    if (plan) {
      try {
        return await verifyInParallel(this.store.path!, span.n, sizes, plan);
      } catch {
        // A thread that cannot start or read costs speed, not the answer: check here instead.
      }
    }
    const rows = this.store.iterate<AuditRow>(`SELECT ${SEGMENT_COLUMNS} FROM audit ORDER BY seq`);
    return [verifySegment(asTuples(rows), 1, Infinity, ZERO, sizes)];
  }
}

function* asTuples(rows: Iterable<AuditRow>): Generator<AuditRowTuple> {
  for (const r of rows) yield [r.seq, r.at, r.kind, r.actor, r.tenant, r.subject, r.body, r.leaf_hash, r.chain_hash, r.purged_at];
}

type StoredCheckpoint = { readonly size: number; readonly root: Buffer; readonly jws: string; readonly note?: string | null };

/** Every checkpoint's JWS and signed note verify with a domain key and say what its row says. */
async function checkSignatures(all: readonly StoredCheckpoint[], publicJwks: readonly JWK[]): Promise<VerifyReport['problem']> {
  const keys = await Promise.all(publicJwks.map(async (j) => ({ kid: j.kid, key: await importJWK(j, 'EdDSA') })));
  for (const cp of all) {
    const signed = await verifyCheckpointJws(cp.jws, keys);
    if (!signed) return { checkpointSize: cp.size, reason: 'checkpoint signature does not verify with the domain key' };
    if (signed.size !== cp.size || signed.root !== cp.root.toString('base64'))
      return { checkpointSize: cp.size, reason: 'checkpoint row does not match its signed payload' };
    if (cp.note) {
      const text = publicJwks.map((j) => openNote(cp.note!, LOG_ORIGIN, j)).find((t) => t !== null);
      if (text !== `${LOG_ORIGIN}\n${cp.size}\n${cp.root.toString('base64')}\n`)
        return { checkpointSize: cp.size, reason: "the checkpoint's signed note does not verify or does not match" };
    }
  }
  return undefined;
}

/**
 * Joins the segments' subtrees into the log's tree in seq order, meeting each checkpoint where
 * the log reaches its size: the first problem by seq, entry or checkpoint, is the one reported.
 */
function joinSegments(segments: readonly SegmentResult[], all: readonly StoredCheckpoint[]): VerifyReport {
  const tree = new MerkleAccumulator();
  let next = 0; // index of the next checkpoint to meet
  const report = (problem?: VerifyReport['problem'], at = tree): VerifyReport => ({
    ok: !problem,
    entries: at.size,
    checkpoints: all.length,
    root: at.root().toString('base64'),
    ...(problem ? { problem } : {}),
  });
  const meet = (at: MerkleAccumulator): VerifyReport | undefined => {
    while (next < all.length && all[next]!.size === at.size) {
      const cp = all[next++]!;
      // The log's first cp.size entries must hash to the signed root: with an append-only
      // log this is what a consistency proof from that checkpoint would establish.
      if (!at.root().equals(cp.root))
        return report({ checkpointSize: cp.size, reason: `the log's first ${cp.size} entries do not hash to the signed root (history rewritten)` }, at);
    }
    return undefined;
  };
  const early = meet(tree);
  if (early) return early;
  for (const seg of segments) {
    for (const snap of seg.snapshots) {
      const at = MerkleAccumulator.from(tree.snapshot());
      at.pushAll(snap.stack);
      const p = meet(at);
      if (p) return p;
    }
    tree.pushAll(seg.stack);
    const p = meet(tree);
    if (p) return p;
    if (seg.problem) return report(seg.problem);
  }
  if (next < all.length) {
    const cp = all[next]!;
    return report({
      seq: tree.size + 1,
      checkpointSize: cp.size,
      reason: `checkpoint covers ${cp.size} entries but the log has ${tree.size}: entries after ${tree.size} were removed`,
    });
  }
  return report();
}

async function verifyCheckpointJws(jws: string, keys: { kid?: string | undefined; key: unknown }[]): Promise<{ size: number; root: string } | null> {
  for (const k of keys) {
    try {
      const { payload, protectedHeader } = await compactVerify(jws, k.key as CryptoKey, { algorithms: ['EdDSA'] });
      if (k.kid && protectedHeader.kid !== k.kid) continue;
      return JSON.parse(new TextDecoder().decode(payload));
    } catch {
      // try the next key
    }
  }
  return null;
}
