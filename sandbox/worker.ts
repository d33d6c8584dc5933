// Entry point of a job worker process (started by the supervisor with --no-node-snapshot).
// It loads the heavy modules once while idle in the pool, runs exactly one job, reports,
// and exits: a worker is never reused, so no state crosses from one job or tenant to another.
import type { FromWorker, QueryEvent, ToWorker } from './protocol.ts';
import { runJob } from './jobRunner.ts';
import { loadSecondParser } from './gate.ts';

if (!process.send) {
  console.error('sandbox/worker.ts must be started by the supervisor (it needs an IPC channel)');
  process.exit(2);
}

const send = (msg: FromWorker) => new Promise<void>((resolve, reject) => process.send!(msg, undefined, {}, (err) => (err ? reject(err) : resolve())));
const pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
let nextId = 1;
let busy = false;

const auditQuery = (event: QueryEvent): Promise<void> => {
  const id = nextId++;
  return new Promise<void>((resolve, reject) => {
    pending.set(id, { resolve, reject });
    send({ type: 'query', id, event }).catch(reject);
  });
};

process.on('message', (msg: ToWorker) => {
  if (msg.type === 'ack') {
    const p = pending.get(msg.id);
    pending.delete(msg.id);
    if (!p) return;
    if (msg.ok) p.resolve();
    else p.reject(Object.assign(new Error(msg.error?.message ?? 'audit failed'), { code: msg.error?.code ?? 'AUDIT_WRITE_FAILED' }));
    return;
  }
  if (msg.type === 'run' && !busy) {
    busy = true;
    runJob(msg.job, auditQuery)
      .then((result) => send({ type: 'done', result }))
      .catch((err) =>
        send({ type: 'done', result: { ok: false, outputs: [], logs: [], error: { code: 'SANDBOX_WORKER_CRASHED', message: String(err?.message ?? err).slice(0, 300) }, stats: { sqlCalls: 0, cpuMs: 0, wallMs: 0 } } }),
      )
      .finally(() => setImmediate(() => process.exit(0)));
  }
});

// If the supervisor goes away, so do we.
process.on('disconnect', () => process.exit(0));
// Load what every job needs while idle in the pool, then say we are ready.
await loadSecondParser();
void send({ type: 'ready' });
