// A synchronous door to PostgreSQL: the `pg` client runs on a thread of its own
// (store/pgWorker.ts) and the caller's thread waits on a shared flag until the answer is posted,
// the pattern of synckit. It keeps the `Store` interface synchronous, as SQLite's is, so every
// service runs unchanged on either store (docs/architecture.md, "The control-plane store").
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';

export type BridgeRequest =
  | { readonly op: 'connect' }
  | { readonly op: 'query'; readonly sql: string; readonly params: unknown[] }
  | { readonly op: 'exec'; readonly sql: string }
  | { readonly op: 'open'; readonly sql: string; readonly params: unknown[] }
  | { readonly op: 'fetch'; readonly cursor: number; readonly count: number }
  | { readonly op: 'closeCursor'; readonly cursor: number }
  | { readonly op: 'end' };

export type BridgeReply =
  | { readonly ok: true; readonly rows?: unknown[]; readonly changes?: number; readonly cursor?: number }
  | { readonly ok: false; readonly error: { readonly message: string; readonly code?: string; readonly detail?: string } };

/** An error PostgreSQL reported, with its SQLSTATE (`code`, e.g. 23505 for a unique violation). */
export class PgError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly detail: string | undefined,
  ) {
    super(message);
    this.name = 'PgError';
  }
}

/** A message between threads carries a Buffer as a plain Uint8Array; the callers expect a Buffer (as from SQLite). */
function asBuffers(row: Record<string, unknown> | unknown[]): void {
  for (const [k, v] of Object.entries(row)) {
    if (v instanceof Uint8Array && !Buffer.isBuffer(v)) (row as Record<string, unknown>)[k] = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  }
}

const COMPILED = import.meta.url.endsWith('.js');
const ENTRY = new URL(COMPILED ? './pgWorker.js' : './pgWorker.ts', import.meta.url);
// From the sources the thread registers tsx's loader itself before it imports its entry.
const START = COMPILED
  ? ENTRY
  : new URL(
      `data:text/javascript,${encodeURIComponent(`import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))}; register(); await import(${JSON.stringify(ENTRY.href)});`)}`,
    );

/** How long one request may take before the caller gives up (a lock held by a dead peer, a lost server). */
const REQUEST_TIMEOUT_MS = 120_000;

export class PgBridge {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly signal: Int32Array;
  private closed = false;
  /** The id of the request sent without waiting, 0 when none. */
  private inFlight = 0;
  private lastId = 0;

  /** `flag`: the shared word the caller waits on (a test passes its own to wake the caller spuriously). */
  constructor(url: string, flag = new SharedArrayBuffer(4)) {
    const { port1, port2 } = new MessageChannel();
    this.signal = new Int32Array(flag);
    this.port = port1;
    this.worker = new Worker(START, { workerData: { url, port: port2, flag }, transferList: [port2] });
    // The thread must not keep a finished process alive; close() ends it in order.
    this.worker.unref();
    this.request({ op: 'connect' });
  }

  /**
   * Waits for the answer to request `id`. The thread writes the id of the request it answered into
   * the shared flag after posting the answer, so a wake-up that belongs to an earlier request (its
   * notify can land after the caller saw the flag and moved on) is recognised and waited past, and
   * an answer is matched to its request by id.
   */
  private receive(id: number): Extract<BridgeReply, { ok: true }> {
    const deadline = Date.now() + REQUEST_TIMEOUT_MS;
    for (let seen = Atomics.load(this.signal, 0); seen !== id; seen = Atomics.load(this.signal, 0)) {
      const left = deadline - Date.now();
      if (left <= 0 || Atomics.wait(this.signal, 0, seen, left) === 'timed-out') {
        this.closed = true;
        void this.worker.terminate();
        throw new PgError(`PostgreSQL did not answer within ${REQUEST_TIMEOUT_MS / 1000} s`, undefined, undefined);
      }
    }
    let message: { id: number; reply: BridgeReply } | undefined;
    do message = receiveMessageOnPort(this.port)?.message as typeof message;
    while (message && message.id !== id);
    if (!message) throw new PgError('the PostgreSQL connection thread stopped', undefined, undefined);
    const reply = message.reply;
    if (!reply.ok) throw new PgError(reply.error.message, reply.error.code, reply.error.detail);
    if (reply.rows) for (const row of reply.rows) asBuffers(row as Record<string, unknown>);
    return reply;
  }

  private post(req: BridgeRequest): number {
    if (this.closed) throw new PgError('the PostgreSQL store is closed', undefined, undefined);
    this.lastId = this.lastId >= 0x7ffffffe ? 1 : this.lastId + 1;
    this.port.postMessage({ id: this.lastId, req });
    return this.lastId;
  }

  /** Ends the request sent without waiting: its failure is thrown here, to the caller's next statement. */
  private settle(): void {
    if (this.inFlight === 0) return;
    const id = this.inFlight;
    this.inFlight = 0;
    this.receive(id);
  }

  /** Ends the request in flight and forgets its failure (before a rollback, which undoes it anyway). */
  discard(): void {
    try {
      this.settle();
    } catch {
      // Rolled back with the rest of the transaction.
    }
  }

  request(req: BridgeRequest): Extract<BridgeReply, { ok: true }> {
    this.settle();
    return this.receive(this.post(req));
  }

  /**
   * Sends a request and returns at once, so the caller's thread works while the server does; the
   * next request waits for it first and throws its failure (a transaction then rolls back).
   */
  send(req: BridgeRequest): void {
    this.settle();
    this.inFlight = this.post(req);
  }

  close(): void {
    if (this.closed) return;
    try {
      this.inFlight = 0;
      this.request({ op: 'end' });
    } finally {
      this.closed = true;
      void this.worker.terminate();
    }
  }
}
