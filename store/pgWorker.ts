// The PostgreSQL store's connection thread: it owns the `pg` clients and answers the caller's
// thread one request at a time, which waits on a shared flag (store/pgBridge.ts). A cursor
// gets a client of its own, so reading a large log does not hold the main connection.
import pg from 'pg';
import { workerData, type MessagePort } from 'node:worker_threads';
import type { BridgeReply, BridgeRequest } from './pgBridge.ts';

// Integers come back as numbers, as from SQLite: counts, sums and sequence numbers here stay far
// below 2^53, and a value that would not fits nowhere in the schema.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number(v));

const { url, port, flag } = workerData as { url: string; port: MessagePort; flag: SharedArrayBuffer };
const signal = new Int32Array(flag);
const main = new pg.Client({ connectionString: url, application_name: 'opdomain' });
const cursors = new Map<number, pg.Client>();
let nextCursor = 1;

/** Buffers arrive from the caller's thread as plain Uint8Arrays; the client sends a Buffer as bytea. */
function values(params: unknown[]): unknown[] {
  return params.map((v) => (v instanceof Uint8Array && !Buffer.isBuffer(v) ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : v));
}

async function answer(req: BridgeRequest): Promise<BridgeReply> {
  switch (req.op) {
    case 'connect':
      await main.connect();
      // A lost connection is reported on the next request, never as an unhandled error.
      main.on('error', () => undefined);
      return { ok: true };
    case 'query': {
      const r = await main.query({ text: req.sql, values: values(req.params) });
      return { ok: true, rows: r.rows, changes: r.rowCount ?? 0 };
    }
    case 'exec':
      await main.query(req.sql);
      return { ok: true };
    case 'open': {
      const c = new pg.Client({ connectionString: url, application_name: 'opdomain-cursor' });
      await c.connect();
      c.on('error', () => undefined);
      const id = nextCursor++;
      cursors.set(id, c);
      await c.query('BEGIN READ ONLY');
      await c.query({ text: `DECLARE c NO SCROLL CURSOR FOR ${req.sql}`, values: values(req.params) });
      return { ok: true, cursor: id };
    }
    case 'fetch': {
      const c = cursors.get(req.cursor);
      if (!c) throw new Error(`cursor ${req.cursor} is closed`);
      const r = await c.query(`FETCH ${req.count} FROM c`);
      return { ok: true, rows: r.rows };
    }
    case 'closeCursor': {
      const c = cursors.get(req.cursor);
      cursors.delete(req.cursor);
      if (c) await c.end().catch(() => undefined);
      return { ok: true };
    }
    case 'end':
      for (const c of cursors.values()) await c.end().catch(() => undefined);
      cursors.clear();
      await main.end().catch(() => undefined);
      return { ok: true };
  }
}

port.on('message', ({ id, req }: { id: number; req: BridgeRequest }) => {
  answer(req)
    .catch((e: unknown): BridgeReply => {
      const err = e as { message?: string; code?: string; detail?: string };
      return { ok: false, error: { message: String(err.message ?? e), code: err.code, detail: err.detail } };
    })
    .then((reply) => {
      // The answer first, then the flag naming the request it answers (the caller waits on it).
      port.postMessage({ id, reply });
      Atomics.store(signal, 0, id);
      Atomics.notify(signal, 0);
    });
});
