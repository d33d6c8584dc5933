// Tampering with the stored log is caught and located: a flipped byte, two entries swapped,
// the last entry dropped, a checkpoint forged with another key.
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ControlStore } from '../store/index.ts';
import { verifyInParallel } from './parallelVerify.ts';
import { AuditLog, EVENTS, loadOrCreateSigningKey, payloadOf, verifyEntryProof, verifyInclusion, leafHash, type SigningKey } from './index.ts';

let dir: string;
let store: ControlStore;
let key: SigningKey;
let log: AuditLog;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'opdomain-audit-'));
  store = new ControlStore(join(dir, 'control.sqlite'));
  key = await loadOrCreateSigningKey(dir, 'k');
  log = new AuditLog(store, key);
  for (let i = 0; i < 20; i++) log.append({ kind: 'LOG_VERIFIED', actor: i % 2 ? 'alice' : 'bob', tenant: 'demo', subject: `s${i}`, data: { i } });
  await log.checkpoint();
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Edits the SQLite file behind the log's back, as an attacker with file access would. */
function tamper(sql: string, ...params: unknown[]): void {
  store.close();
  const db = new Database(join(dir, 'control.sqlite'));
  db.prepare(sql).run(...params);
  db.close();
  store = new ControlStore(join(dir, 'control.sqlite'));
  log = new AuditLog(store, key);
}

describe('audit log verification', () => {
  it('verifies an untouched log with its checkpoints', async () => {
    const r = await log.verify([key.publicJwk]);
    expect(r).toMatchObject({ ok: true, entries: 20, checkpoints: 1 });
  });

  it('names the entry whose body had a byte flipped', async () => {
    const row = store.get<{ body: string }>('SELECT body FROM audit WHERE seq = 7')!;
    tamper('UPDATE audit SET body = ? WHERE seq = 7', row.body.replace('"i":6', '"i":8'));
    const r = await log.verify([key.publicJwk]);
    expect(r.ok).toBe(false);
    expect(r.problem?.seq).toBe(7);
  });

  it('names the place where two entries were swapped', async () => {
    const a = store.get<Record<string, unknown>>('SELECT * FROM audit WHERE seq = 4')!;
    const b = store.get<Record<string, unknown>>('SELECT * FROM audit WHERE seq = 5')!;
    tamper('UPDATE audit SET body = ?, leaf_hash = ?, chain_hash = ?, subject = ?, at = ? WHERE seq = 4', b.body, b.leaf_hash, b.chain_hash, b.subject, b.at);
    tamper('UPDATE audit SET body = ?, leaf_hash = ?, chain_hash = ?, subject = ?, at = ? WHERE seq = 5', a.body, a.leaf_hash, a.chain_hash, a.subject, a.at);
    const r = await log.verify([key.publicJwk]);
    expect(r.ok).toBe(false);
    expect(r.problem?.seq).toBe(4);
  });

  it('notices the last entry dropped (the checkpoint covers it)', async () => {
    tamper('DELETE FROM audit WHERE seq = 20');
    const r = await log.verify([key.publicJwk]);
    expect(r.ok).toBe(false);
    expect(r.problem?.reason).toMatch(/removed/);
    expect(r.problem?.seq).toBe(20);
  });

  it('refuses a checkpoint signed with another key', async () => {
    const other = await loadOrCreateSigningKey(dir, 'other');
    const forger = new AuditLog(store, other);
    log.append({ kind: 'LOG_VERIFIED', actor: 'x' });
    await forger.checkpoint();
    const r = await log.verify([key.publicJwk]);
    expect(r.ok).toBe(false);
    expect(r.problem?.checkpointSize).toBe(21);
  });

  it('a rewritten history (bodies and hashes recomputed) no longer matches the signed root', async () => {
    // The attacker rebuilds the whole chain consistently; only the signed checkpoint catches it.
    const rows = store.all<{ seq: number; body: string }>('SELECT seq, body FROM audit ORDER BY seq');
    store.close();
    const db = new Database(join(dir, 'control.sqlite'));
    const { createHash } = await import('node:crypto');
    let prev = Buffer.alloc(32);
    for (const r of rows) {
      const body = r.seq === 3 ? r.body.replace('"actor":"alice"', '"actor":"bob"').replace('"actor":"bob"', '"actor":"bob"') : r.body;
      const b = r.seq === 3 ? body.replace('"i":2', '"i":99') : body;
      const leaf = leafHash(Buffer.from(b));
      const chain = createHash('sha256').update(prev).update(leaf).digest();
      db.prepare('UPDATE audit SET body = ?, leaf_hash = ?, chain_hash = ? WHERE seq = ?').run(b, leaf, chain, r.seq);
      prev = chain;
    }
    db.close();
    store = new ControlStore(join(dir, 'control.sqlite'));
    log = new AuditLog(store, key);
    const r = await log.verify([key.publicJwk]);
    expect(r.ok).toBe(false);
    expect(r.problem?.checkpointSize).toBe(20);
  });

  it('gives inclusion proofs an auditor can check with only the entry, the proof and a checkpoint', async () => {
    const cp = log.latestCheckpoint()!;
    const proof = log.inclusionProof(9, cp.size).map((p) => Buffer.from(p, 'base64'));
    const body = store.get<{ body: string }>('SELECT body FROM audit WHERE seq = 9')!.body;
    expect(verifyInclusion(8, cp.size, leafHash(Buffer.from(body)), proof, Buffer.from(cp.root, 'base64'))).toBe(true);
    expect(verifyInclusion(8, cp.size, leafHash(Buffer.from(`${body} `)), proof, Buffer.from(cp.root, 'base64'))).toBe(false);
  });

  it('an append that cannot be written fails with AUDIT_WRITE_FAILED', () => {
    store.close();
    expect(() => log.append({ kind: 'LOG_VERIFIED', actor: 'x' })).toThrow(expect.objectContaining({ code: 'AUDIT_WRITE_FAILED' }));
    store = new ControlStore(join(dir, 'control.sqlite'));
  });

  it('an entry, its proof and a signed checkpoint verify offline; any change to them does not', async () => {
    const proof = log.entryWithProof(12, log.latestCheckpoint()!);
    const jwks = { keys: [key.publicJwk] };
    expect(await verifyEntryProof(proof, jwks)).toEqual({ ok: true, problems: [] });
    expect((await verifyEntryProof({ ...proof, entry: proof.entry.replace('"i":11', '"i":12') }, jwks)).ok).toBe(false);
    expect((await verifyEntryProof({ ...proof, proof: [...proof.proof].reverse() }, jwks)).ok).toBe(false);
    expect((await verifyEntryProof({ ...proof, seq: 13 }, jwks)).ok).toBe(false);
    const other = await loadOrCreateSigningKey(dir, 'other');
    expect((await verifyEntryProof(proof, { keys: [other.publicJwk] })).problems[0]).toMatch(/signature/);
  });
});

describe('C2SP signed-note checkpoints', () => {
  it('carry a signed note whose signature verifies with the domain key and fails when edited', async () => {
    const { openNote, verifierKey, LOG_ORIGIN } = await import('./index.ts');
    const cp = log.latestCheckpoint()!;
    expect(cp.signedNote).toMatch(new RegExp(`^${LOG_ORIGIN}\\n20\\n[A-Za-z0-9+/=]{44}\\n\\n— ${LOG_ORIGIN} [A-Za-z0-9+/=]+\\n$`));
    expect(openNote(cp.signedNote!, LOG_ORIGIN, key.publicJwk)).toBe(cp.note);
    expect(openNote(cp.signedNote!.replace('\n20\n', '\n21\n'), LOG_ORIGIN, key.publicJwk)).toBeNull();
    const other = await loadOrCreateSigningKey(dir, 'other');
    expect(openNote(cp.signedNote!, LOG_ORIGIN, other.publicJwk)).toBeNull();
    expect(verifierKey(LOG_ORIGIN, key.publicJwk)).toMatch(new RegExp(`^${LOG_ORIGIN}\\+[0-9a-f]{8}\\+[A-Za-z0-9+/=]+$`));
  });
  it('verify fails when a stored signed note is replaced', async () => {
    const cp = log.latestCheckpoint()!;
    tamper('UPDATE checkpoints SET note = ? WHERE size = ?', cp.signedNote!.replace(/— (\S+) \S+/, '— $1 AAAA'), cp.size);
    const r = await log.verify([key.publicJwk]);
    expect(r.ok).toBe(false);
    expect(r.problem?.reason).toMatch(/signed note/);
  });
});

describe('retention', () => {
  it('refuses to purge entries younger than 180 days; an older purge keeps the log verifiable', async () => {
    expect(() => log.purge(new Date(), 'ada')).toThrow(expect.objectContaining({ code: 'AUDIT_PURGE_REFUSED' }));
    expect(() => log.purge(new Date(Date.now() - 179 * 86_400_000), 'ada')).toThrow(expect.objectContaining({ code: 'AUDIT_PURGE_REFUSED' }));
    expect(log.size()).toBe(20);
    // Pretend the first ten entries are a year old, then purge what is older than 200 days.
    const later = new Date(Date.now() + 365 * 86_400_000);
    const purged = log.purge(new Date(Date.now() + 1000), 'ada', later);
    expect(purged).toBe(20);
    expect(log.entries().map((e) => e.kind)).toEqual(['AUDIT_PURGED']);
    const r = await log.verify([key.publicJwk]);
    expect(r).toMatchObject({ ok: true, entries: 21 });
  });
});

describe('audit log verification on worker threads', () => {
  // Small aligned segments make the 20-entry log span several threads, so every join is tested.
  const PAR = { threads: 2, minEntries: 1, segmentSize: 4 };

  it('gives the single pass its answer on an untouched log, checkpoints inside segments included', async () => {
    for (let i = 0; i < 3; i++) log.append({ kind: 'LOG_VERIFIED', actor: 'carol', data: { i } });
    await log.checkpoint(); // size 23: inside the last segment
    const one = await log.verify([key.publicJwk], undefined, { threads: 1 });
    const many = await log.verify([key.publicJwk], undefined, PAR);
    expect(many).toEqual(one);
    expect(many).toMatchObject({ ok: true, entries: 23, checkpoints: 2 });
  });

  it('names the first edited entry by seq, as the single pass does, with later segments also broken', async () => {
    for (const seq of [15, 6]) {
      const row = store.get<{ body: string }>('SELECT body FROM audit WHERE seq = ?', seq)!;
      tamper('UPDATE audit SET body = ? WHERE seq = ?', row.body.replace(`"i":${seq - 1}`, '"i":99'), seq);
    }
    const one = await log.verify([key.publicJwk], undefined, { threads: 1 });
    const many = await log.verify([key.publicJwk], undefined, PAR);
    expect(many.problem?.seq).toBe(6);
    expect(many).toEqual(one);
  });

  it('really runs the segments on threads (no silent fall-back) and catches a chain hash edited at a boundary', async () => {
    const segs = await verifyInParallel(join(dir, 'control.sqlite'), 20, [], { threads: 2, segment: 4 });
    expect(segs.map((s) => s.count)).toEqual([4, 4, 4, 4, 4]);
    tamper('UPDATE audit SET chain_hash = ? WHERE seq = 8', Buffer.alloc(32, 1));
    const r = await log.verify([key.publicJwk], undefined, PAR);
    expect(r).toMatchObject({ ok: false, problem: { seq: 8 } });
  });

  it('names a deleted entry as missing, and a segment whose rows stop short is never a pass', async () => {
    tamper('DELETE FROM audit WHERE seq = 12');
    const gap = await log.verify([key.publicJwk], undefined, PAR);
    expect(gap.problem?.seq).toBe(12);
    expect(gap).toEqual(await log.verify([key.publicJwk], undefined, { threads: 1 }));
    // A row deleted between the span check and a thread's read: the segment reports it missing.
    const short = await verifyInParallel(join(dir, 'control.sqlite'), 16, [], { threads: 2, segment: 4 });
    expect(short[2]?.problem).toMatchObject({ seq: 12 });
  });
});

describe('audit kinds and payloads are one typed union', () => {
  it('a writer of a typed kind is checked against its payload type; an unknown kind is not a kind (tsc fails otherwise)', () => {
    // Compiled by `npm test` (tsc --noEmit type-checks the tests): each @ts-expect-error must be an error.
    const writes = (log: AuditLog) => {
      // @ts-expect-error a BUNDLE_DOWNLOADED payload names its bundleId
      log.append({ kind: EVENTS.BUNDLE_DOWNLOADED, actor: 'a', data: { bundle: 'b' } });
      // @ts-expect-error QUERY needs its env, build, hash, verdict, tables and columns
      log.append({ kind: EVENTS.QUERY, actor: 'a', data: { sqlHash: 'x' } });
      // @ts-expect-error not a kind of the vocabulary
      log.append({ kind: 'SOMETHING_ELSE', actor: 'a' });
      log.append({ kind: EVENTS.BUNDLE_DOWNLOADED, actor: 'a', data: { bundleId: 'b' } });
    };
    expect(typeof writes).toBe('function');
    const read = payloadOf(EVENTS.OUTPUT_CREATED, { name: 'x', rowCount: 3 });
    expect(read.name).toBe('x');
    expect(read.hash).toBeUndefined();
  });
});
