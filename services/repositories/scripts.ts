// Script and statement texts by their sha256, stored once. PostgreSQL's text cannot hold a NUL
// character and SQLite's can; a text with one (a statement the gate refuses still has its text
// kept with its audit event) is stored as its JSON string behind a marker no other text starts
// with, so both stores give back exactly what was put.
import { createHash } from 'node:crypto';
import type { Store } from '../../store/index.ts';

const MARK = '\uffff\uffffjson:';

const encode = (text: string) => (text.includes('\u0000') || text.startsWith(MARK) ? `${MARK}${JSON.stringify(text)}` : text);
const decode = (body: string) => (body.startsWith(MARK) ? (JSON.parse(body.slice(MARK.length)) as string) : body);

export class ScriptRepository {
  constructor(private readonly store: Store) {}

  /** Keeps a text (once) and answers its sha256. */
  put(text: string): string {
    const hash = createHash('sha256').update(text).digest('hex');
    this.store.run('INSERT OR IGNORE INTO scripts (hash, body, created_at) VALUES (?, ?, ?)', hash, encode(text), new Date().toISOString());
    return hash;
  }

  body(hash: string): string | undefined {
    const row = this.store.get<{ body: string }>('SELECT body FROM scripts WHERE hash = ?', hash);
    return row ? decode(row.body) : undefined;
  }
}
