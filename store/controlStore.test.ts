// Group commit (Store.txAsync): many callers share one transaction, each in a savepoint of its
// own; a caller hears "done" only once the group is durable, and a group that does not commit
// leaves nothing behind and tells every caller so.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ControlStore } from './controlStore.ts';

let dir: string;
let store: ControlStore;
const count = () => store.get<{ n: number }>('SELECT count(*) AS n FROM scripts')!.n;
const put = (hash: string) => () => store.run('INSERT INTO scripts (hash, body, created_at) VALUES (?, ?, ?)', hash, 'b', 't');

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'opdomain-store-'));
  store = new ControlStore(join(dir, 'control.sqlite'));
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('group commit', () => {
  it('callers of one turn share a commit: each gets its own value once the group is written', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store.txAsync(() => {
          put(`h${i}`)();
          return i * 2;
        }),
      ),
    );
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => i * 2));
    expect(count()).toBe(20);
    // Seen from another connection: durable in the file, not only in this one's cache.
    const other = new Database(join(dir, 'control.sqlite'), { readonly: true });
    expect((other.prepare('SELECT count(*) AS n FROM scripts').get() as { n: number }).n).toBe(20);
    other.close();
  });

  it('a failing caller rolls back alone: its partial writes are gone, the others commit', async () => {
    const ok1 = store.txAsync(put('a'));
    const bad = store.txAsync(() => {
      put('b')();
      put('a')(); // a duplicate key: this caller fails after one write of its own
    });
    const ok2 = store.txAsync(put('c'));
    await expect(bad).rejects.toThrow(/UNIQUE/);
    await Promise.all([ok1, ok2]);
    expect(store.all<{ hash: string }>('SELECT hash FROM scripts ORDER BY hash').map((r) => r.hash)).toEqual(['a', 'c']);
  });

  it('a group that cannot commit rejects every caller and writes nothing', async () => {
    store.get('PRAGMA busy_timeout = 50');
    const other = new Database(join(dir, 'control.sqlite'));
    other.prepare('BEGIN IMMEDIATE').run();
    try {
      const calls = [store.txAsync(put('x')), store.txAsync(put('y'))];
      for (const c of calls) await expect(c).rejects.toThrow(/locked|busy/i);
    } finally {
      other.prepare('ROLLBACK').run();
      other.close();
    }
    expect(count()).toBe(0);
    // The store keeps working after a group failed.
    await store.txAsync(put('z'));
    expect(count()).toBe(1);
  });

  it('close writes what was handed over but not yet committed', async () => {
    const pending = store.txAsync(put('late'));
    store.close();
    await expect(pending).resolves.toBeDefined();
    store = new ControlStore(join(dir, 'control.sqlite'));
    expect(count()).toBe(1);
  });
});
