// Entry point of a job worker process (started by the supervisor with --no-node-snapshot).
// A worker is long-lived and serves one tenant file at a time, one job at a time: it keeps
// the file's locked-down instance open and gives every job a fresh isolate and a fresh
// connection, so no job sees another's state (sandbox/tenantDb.ts says what is per
// connection). A job stopped at a limit retires its worker: the supervisor starts another.
import type { BudgetRequest, FromWorker, QueryEvent, ToWorker } from './protocol.ts';
import { runJob } from './jobRunner.ts';
import { loadSecondParser } from './gate.ts';
import { openTenantDb, type TenantDb } from './tenantDb.ts';

if (!process.send) {
  console.error('sandbox/worker.ts must be started by the supervisor (it needs an IPC channel)');
  process.exit(2);
}

const send = (msg: FromWorker) => new Promise<void>((resolve, reject) => process.send!(msg, undefined, {}, (err) => (err ? reject(err) : resolve())));
const pending = new Map<number, { resolve: (value?: unknown) => void; reject: (e: Error) => void }>();
let nextId = 1;
let busy = false;
let db: TenantDb | undefined;

const auditQuery = (event: QueryEvent): Promise<void> => {
  const id = nextId++;
  return new Promise<void>((resolve, reject) => {
    pending.set(id, { resolve: () => resolve(), reject });
    send({ type: 'query', id, event }).catch(reject);
  });
};

const budget = (request: BudgetRequest): Promise<unknown> => {
  const id = nextId++;
  return new Promise<unknown>((resolve, reject) => {
    pending.set(id, { resolve, reject });
    send({ type: 'budget', id, request }).catch(reject);
  });
};

const crashed = (err: unknown) => ({
  ok: false,
  outputs: [],
  logs: [],
  error: { code: 'SANDBOX_WORKER_CRASHED' as const, message: String((err as Error)?.message ?? err).slice(0, 300) },
  stats: { sqlCalls: 0, cpuMs: 0, wallMs: 0 },
});

async function serve(msg: Extract<ToWorker, { type: 'run' }>): Promise<boolean> {
  const { job } = msg;
  if (db?.key !== msg.dbKey) {
    db?.close();
    db = undefined;
    db = await openTenantDb(msg.dbKey, job.dbPath, job.limits);
  }
  const run = await runJob(job, db, auditQuery, budget);
  await send({ type: 'done', result: run.result, reusable: run.reusable });
  return run.reusable;
}

process.on('message', (msg: ToWorker) => {
  if (msg.type === 'ack') {
    const p = pending.get(msg.id);
    pending.delete(msg.id);
    if (!p) return;
    if (msg.ok) p.resolve(msg.value);
    else p.reject(Object.assign(new Error(msg.error?.message ?? 'audit failed'), { code: msg.error?.code ?? 'AUDIT_WRITE_FAILED' }));
    return;
  }
  if (msg.type === 'run' && !busy) {
    busy = true;
    serve(msg)
      .catch(async (err) => {
        await send({ type: 'done', result: crashed(err), reusable: false }).catch(() => undefined);
        return false;
      })
      .then((reusable) => {
        busy = false;
        if (!reusable) setImmediate(() => process.exit(0));
      });
  }
});

// If the supervisor goes away, so do we.
process.on('disconnect', () => process.exit(0));
// Load what every job needs while idle in the pool, then say we are ready.
await loadSecondParser();
void send({ type: 'ready' });
