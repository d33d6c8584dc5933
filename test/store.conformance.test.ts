// The store conformance suite: every promise of the `Store` interface, asked of both stores —
// the embedded SQLite file and PostgreSQL (OPDOMAIN_TEST_DATABASE_URL; required in CI).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditLog, loadOrCreateSigningKey } from '../lineage/index.ts';
import { ControlStore, MIGRATIONS, PgStore, SCHEMA_VERSION, type Store } from '../store/index.ts';
import { ScriptRepository } from '../services/repositories/scripts.ts';
import { freshDatabase, postgresAvailable } from './postgres.ts';

interface Kind {
  readonly name: string;
  /** A new empty store, its address (a file or a URL) and a way to remove it. */
  make(): Promise<{ store: Store; address: string; reopen: () => Store; cleanup: () => Promise<void> }>;
}

const sqlite: Kind = {
  name: 'sqlite',
  make: async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opdomain-store-'));
    const file = join(dir, 'control.sqlite');
    return {
      store: new ControlStore(file),
      address: file,
      reopen: () => new ControlStore(file),
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    };
  },
};

const postgres: Kind = {
  name: 'postgres',
  make: async () => {
    const db = await freshDatabase();
    return { store: new PgStore(db.url), address: db.url, reopen: () => new PgStore(db.url), cleanup: db.drop };
  },
};

const keysDir = mkdtempSync(join(tmpdir(), 'opdomain-keys-'));
const generateSigningKey = (name: string) => loadOrCreateSigningKey(keysDir, name);

const kinds = postgresAvailable() ? [sqlite, postgres] : [sqlite];
if (kinds.length === 1) console.warn('store conformance: OPDOMAIN_TEST_DATABASE_URL is not set; PostgreSQL is not tested in this run');

const open: { store: Store; cleanup: () => Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) {
    try {
      o.store.close();
    } catch {
      // Already closed by the case.
    }
    await o.cleanup();
  }
});

async function fresh(kind: Kind) {
  const made = await kind.make();
  open.push(made);
  return made;
}

const user = (s: Store, name: string) =>
  s.run(
    'INSERT INTO users (name, role, tenant, display, created_at) VALUES (?, ?, ?, ?, ?)',
    name,
    'reviewer',
    null,
    name.toUpperCase(),
    '2026-12-07T00:00:00Z',
  );
const names = (s: Store) => s.all<{ name: string }>('SELECT name FROM users ORDER BY name').map((r) => r.name);

describe.each(kinds)('the $name store', (kind) => {
  it('is at the current schema version when new', async () => {
    const { store } = await fresh(kind);
    expect(store.getMeta('schema_version')).toBe(String(SCHEMA_VERSION));
    expect(SCHEMA_VERSION).toBe(MIGRATIONS.at(-1)!.version);
  });

  it('commits a state change and its audit event together, and a throw leaves neither', async () => {
    const { store } = await fresh(kind);
    const log = new AuditLog(store, await generateSigningKey('t'));
    store.tx(() => {
      user(store, 'bob');
      log.append({ kind: 'USER_REGISTERED', actor: 'ada', data: { user: 'bob' } });
    });
    expect(() =>
      store.tx(() => {
        user(store, 'carol');
        log.append({ kind: 'USER_REGISTERED', actor: 'ada', data: { user: 'carol' } });
        throw new Error('refused after writing');
      }),
    ).toThrow('refused after writing');
    expect(names(store)).toEqual(['bob']);
    expect(log.size()).toBe(1);
    // A failing statement fails the transaction the same way (a duplicate key).
    expect(() => store.tx(() => user(store, 'bob'))).toThrow();
    expect(names(store)).toEqual(['bob']);
  });

  it('a write sent without waiting that fails fails its transaction, which leaves nothing', async () => {
    const { store } = await fresh(kind);
    user(store, 'taken');
    expect(() =>
      store.tx(() => {
        store.send('INSERT INTO scripts (hash, body, created_at) VALUES (?, ?, ?)', 'h1', 'b', 't');
        store.send('INSERT INTO users (name, role, tenant, display, created_at) VALUES (?, ?, ?, ?, ?)', 'taken', 'r', null, 'd', 't');
      }),
    ).toThrow();
    expect(store.get('SELECT hash FROM scripts')).toBeUndefined();
    // A throw of the caller's while a sent write is failing (SQLite throws at the write itself): rolled back all the same.
    expect(() =>
      store.tx(() => {
        store.send('INSERT INTO scripts (hash, body, created_at) VALUES (?, ?, ?)', 'h0', 'b', 't');
        store.send('INSERT INTO users (name, role, tenant, display, created_at) VALUES (?, ?, ?, ?, ?)', 'taken', 'r', null, 'd', 't');
        throw new Error('the caller gives up');
      }),
    ).toThrow(kind.name === 'postgres' ? 'the caller gives up' : /UNIQUE/);
    expect(store.get('SELECT hash FROM scripts')).toBeUndefined();
    // Sent writes that succeed commit with the transaction, and the store goes on.
    store.tx(() => store.send('INSERT INTO scripts (hash, body, created_at) VALUES (?, ?, ?)', 'h2', 'b', 't'));
    expect(store.all('SELECT hash FROM scripts')).toEqual([{ hash: 'h2' }]);
  });

  it('answers every statement with its own answer, thousands in a row, sent writes among them', async () => {
    const { store } = await fresh(kind);
    for (let i = 0; i < 3000; i++) {
      if (i % 100 === 0) store.tx(() => store.send('INSERT INTO export_checks (tenant, at) VALUES (?, ?)', 't', String(i)));
      expect(store.get<{ n: number }>('SELECT CAST(? AS INTEGER) AS n', i)).toEqual({ n: i });
    }
    expect(store.get<{ n: number }>('SELECT count(*) AS n FROM export_checks')!.n).toBe(30);
  });

  it('rolls a nested transaction back alone, as a savepoint', async () => {
    const { store } = await fresh(kind);
    store.tx(() => {
      user(store, 'a');
      expect(() =>
        store.tx(() => {
          user(store, 'b');
          throw new Error('inner');
        }),
      ).toThrow('inner');
      user(store, 'c');
    });
    expect(names(store)).toEqual(['a', 'c']);
  });

  it('group commit: every call resolves after the group commits, a failing call rolls back alone', async () => {
    const { store } = await fresh(kind);
    const results = await Promise.allSettled([
      store.txAsync(() => user(store, 'g1')),
      store.txAsync(() => {
        user(store, 'g2');
        throw new Error('g2 fails');
      }),
      store.txAsync(() => {
        user(store, 'g3');
        return 'three';
      }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[2] as PromiseFulfilledResult<string>).value).toBe('three');
    expect(names(store)).toEqual(['g1', 'g3']);
  });

  it('keeps what it was given: integers, reals, text, nulls, bytes, counts and sums as numbers', async () => {
    const { store } = await fresh(kind);
    const bytes = Buffer.from([0, 1, 2, 255, 254]);
    store.run('INSERT INTO checkpoints (size, root, jws, at, note) VALUES (?, ?, ?, ?, ?)', 9_007_199_254_740_991, bytes, 'j', 'a', null);
    store.run('INSERT INTO release_cells (request_id, tables, measure, key, value, released_at) VALUES (?, ?, ?, ?, ?, ?)', 'r', 't', 'm', 'k', 0.125, 'x');
    const row = store.get<{ size: number; root: Buffer; note: string | null }>('SELECT size, root, note FROM checkpoints');
    expect(row).toEqual({ size: 9_007_199_254_740_991, root: bytes, note: null });
    expect(Buffer.isBuffer(row!.root)).toBe(true);
    expect(store.get('SELECT value, count(*) AS n, sum(value) AS total FROM release_cells GROUP BY value')).toEqual({ value: 0.125, n: 1, total: 0.125 });
    expect(store.run('UPDATE release_cells SET value = ? WHERE key = ?', 2, 'none').changes).toBe(0);
    expect(store.run('UPDATE release_cells SET value = ? WHERE key = ?', 2, 'k').changes).toBe(1);
    expect(store.get('SELECT name FROM users WHERE name = ?', 'nobody')).toBeUndefined();
  });

  it('speaks one SQL: INSERT OR IGNORE, the user column, camelCase aliases, JSON paths and arrays', async () => {
    const { store } = await fresh(kind);
    const ins = 'INSERT OR IGNORE INTO scripts (hash, body, created_at) VALUES (?, ?, ?)';
    expect(store.run(ins, 'h', 'first', 't').changes).toBe(1);
    expect(store.run(ins, 'h', 'second', 't').changes).toBe(0);
    expect(store.get('SELECT body AS scriptBody FROM scripts WHERE hash = ? ORDER BY scriptBody', 'h')).toEqual({ scriptBody: 'first' });
    store.run(
      'INSERT INTO jobs (id, tenant, env, user, script_hash, params, state, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      'j1',
      'demo',
      'dev',
      'alice',
      'h',
      '{}',
      'queued',
      't',
    );
    expect(store.get('SELECT user FROM jobs WHERE user = ?', 'alice')).toEqual({ user: 'alice' });
    store.run(
      "INSERT INTO audit (seq, at, kind, actor, body, leaf_hash, chain_hash) VALUES (1, 't', 'K', 'a', ?, ?, ?)",
      JSON.stringify({
        data: {
          code: 'X',
          rules: [
            { rule: 'a', verdict: 'block' },
            { rule: 'b', verdict: 'pass' },
          ],
        },
      }),
      Buffer.alloc(1),
      Buffer.alloc(1),
    );
    expect(store.get("SELECT json_extract(body, '$.data.code') AS code FROM audit")).toEqual({ code: 'X' });
    expect(
      store.get(
        "SELECT count(*) AS n FROM audit WHERE EXISTS (SELECT 1 FROM json_each(json_extract(body, '$.data.rules')) r WHERE json_extract(r.value, '$.verdict') = 'block')",
      ),
    ).toEqual({ n: 1 });
  });

  it('gives back every text exactly, a NUL character and the escape marker included', async () => {
    const { store } = await fresh(kind);
    const scripts = new ScriptRepository(store);
    for (const text of ['SELECT 1 \u0000', '\uffff\uffffjson:"x"', 'plain', '中文 ✓']) expect(scripts.body(scripts.put(text))).toBe(text);
  });

  it('streams a large result in order without loading it at once', async () => {
    const { store } = await fresh(kind);
    store.tx(() => {
      for (let i = 0; i < 5003; i++) store.run('INSERT INTO export_checks (tenant, at) VALUES (?, ?)', 'demo', String(i).padStart(5, '0'));
    });
    let n = 0;
    let last = '';
    for (const r of store.iterate<{ at: string }>('SELECT at FROM export_checks WHERE tenant = ? ORDER BY at', 'demo')) {
      expect(r.at > last).toBe(true);
      last = r.at;
      n++;
    }
    expect(n).toBe(5003);
    // A reader that stops early releases its cursor; the store goes on.
    for (const _ of store.iterate('SELECT at FROM export_checks')) break;
    expect(store.get<{ n: number }>('SELECT count(*) AS n FROM export_checks')!.n).toBe(5003);
  });

  it('keeps its metadata, and a reopened store keeps everything', async () => {
    const made = await fresh(kind);
    made.store.setMeta('k', 'v1');
    made.store.setMeta('k', 'v2');
    user(made.store, 'kept');
    made.store.close();
    const again = made.reopen();
    open.push({ store: again, cleanup: async () => undefined });
    expect(again.getMeta('k')).toBe('v2');
    expect(names(again)).toEqual(['kept']);
  });

  it('refuses a store made by a newer release instead of writing to it', async () => {
    const made = await fresh(kind);
    made.store.setMeta('schema_version', String(SCHEMA_VERSION + 1));
    made.store.close();
    expect(() => made.reopen()).toThrow(/newer than this release/);
  });

  it('two processes appending to one log at once: gapless sequence numbers, one tree that verifies', async () => {
    const made = await fresh(kind);
    const key = await generateSigningKey('conformance');
    const log = new AuditLog(made.store, key);
    log.append({ kind: 'SIGN_IN', actor: 'seed', data: {} });
    const child = (who: string) =>
      new Promise<number>((resolve, reject) => {
        const code = `
          import { AuditLog, loadOrCreateSigningKey } from './lineage/index.ts';
          import { ControlStore, PgStore } from './store/index.ts';
          const a = ${JSON.stringify(made.address)};
          const store = a.startsWith('postgres') ? new PgStore(a) : new ControlStore(a);
          const log = new AuditLog(store, await loadOrCreateSigningKey(${JSON.stringify(keysDir)}, 'c'));
          for (let i = 0; i < 60; i++) {
            if (i % 3 === 0) await Promise.all([0, 1, 2].map((k) => log.appendInGroup(() => ({ kind: 'SIGN_IN', actor: '${who}', data: { i, k } }))));
            else log.append({ kind: 'SIGN_IN', actor: '${who}', data: { i } });
          }
          store.close();`;
        const p = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
          cwd: join(import.meta.dirname, '..'),
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let err = '';
        p.stderr.on('data', (d) => (err += d));
        p.on('exit', (c) => (c === 0 ? resolve(c) : reject(new Error(`appender ${who} exited ${c}: ${err}`))));
      });
    await Promise.all([child('one'), child('two')]);
    const seqs = made.store.all<{ seq: number }>('SELECT seq FROM audit ORDER BY seq').map((r) => r.seq);
    const expected = 1 + 2 * (40 + 20 * 3);
    expect(seqs).toEqual(Array.from({ length: expected }, (_, i) => i + 1));
    await log.checkpoint();
    const report = await log.verify([key.publicJwk]);
    expect(report).toMatchObject({ ok: true, entries: expected });
  });
});

describe.runIf(kinds.includes(postgres))('the PostgreSQL connection thread', () => {
  it('answers each request with its own answer while the caller is woken at random', async () => {
    const { Worker } = await import('node:worker_threads');
    const { PgBridge } = await import('../store/pgBridge.ts');
    const db = await freshDatabase();
    const flag = new SharedArrayBuffer(4);
    // Wakes whoever waits on the flag, as a late notify of an earlier answer would.
    const noise = new Worker('const { workerData } = require("node:worker_threads"); const s = new Int32Array(workerData); for (;;) Atomics.notify(s, 0);', {
      eval: true,
      workerData: flag,
    });
    const bridge = new PgBridge(db.url, flag);
    try {
      for (let i = 0; i < 2000; i++) expect(bridge.request({ op: 'query', sql: 'SELECT $1::int AS n', params: [i] }).rows).toEqual([{ n: i }]);
    } finally {
      bridge.close();
      await noise.terminate();
      await db.drop();
    }
  });
});

describe('opening a store', () => {
  it('refuses a URL that is not PostgreSQL, and a server that does not answer, with their codes and nothing opened', async () => {
    const { homePaths, openStore } = await import('../store/index.ts');
    const dir = mkdtempSync(join(tmpdir(), 'opdomain-open-'));
    try {
      const paths = homePaths(dir);
      expect(() => openStore(paths, 'mysql://db/opdomain')).toThrow(expect.objectContaining({ code: 'STORE_CONFIG_INVALID' }));
      expect(() => openStore(paths, 'postgres://nobody:secret@127.0.0.1:1/none')).toThrow(expect.objectContaining({ code: 'STORE_UNAVAILABLE' }));
      // The refusal does not repeat the password it was given.
      try {
        openStore(paths, 'postgres://nobody:s3cr3t-word@127.0.0.1:1/none');
      } catch (e) {
        expect((e as Error).message).not.toContain('s3cr3t-word');
      }
      // Without a URL: the home's embedded file.
      const s = openStore(paths, '');
      expect(s.dialect).toBe('sqlite');
      s.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('migrations', () => {
  it('a home made by the previous release (schema 11) is brought to the current schema with its data and its log verifying', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opdomain-migrate-'));
    try {
      const file = join(dir, 'control.sqlite');
      // The previous release: the baseline schema, at version 11, with a log.
      const first = new ControlStore(file);
      const key = await generateSigningKey('m');
      const log = new AuditLog(first, key);
      for (let i = 0; i < 5; i++) log.append({ kind: 'SIGN_IN', actor: `p${i}`, data: { i } });
      await log.checkpoint();
      first.close();
      const raw = new Database(file);
      for (const m of MIGRATIONS) for (const table of m.sqlite.matchAll(/CREATE TABLE IF NOT EXISTS (\w+)/g)) raw.exec(`DROP TABLE IF EXISTS ${table[1]}`);
      raw.exec('DROP INDEX IF EXISTS jobs_queue');
      for (const col of ['node', 'lease_until', 'request', 'result']) raw.exec(`ALTER TABLE jobs DROP COLUMN ${col}`);
      raw.prepare("UPDATE meta SET value = '11' WHERE key = 'schema_version'").run();
      raw.close();

      const upgraded = new ControlStore(file);
      try {
        expect(upgraded.getMeta('schema_version')).toBe(String(SCHEMA_VERSION));
        expect(upgraded.all<{ name: string }>('PRAGMA table_info(jobs)').map((c) => c.name)).toEqual(expect.arrayContaining(['node', 'lease_until']));
        const again = new AuditLog(upgraded, key);
        expect(again.size()).toBe(5);
        expect(await again.verify([key.publicJwk])).toMatchObject({ ok: true, entries: 5, checkpoints: 1 });
      } finally {
        upgraded.close();
      }
      // Opening it again applies nothing twice.
      new ControlStore(file).close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
