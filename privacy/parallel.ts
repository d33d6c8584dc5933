// The group operations of a whole set, spread over the machine's cores with worker threads: the
// same library calls as one thread (group.ts), chunked. Small sets stay on the calling thread.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { OpError, type ErrorCode } from '../errors/index.ts';
import { blind, decodePoint, encodePoint, hashToGroup } from './group.ts';

const COMPILED = import.meta.url.endsWith('.js');
const ENTRY = new URL(COMPILED ? './blindWorker.js' : './blindWorker.ts', import.meta.url);
// From the sources a thread registers tsx's loader itself before it imports its entry.
const START = COMPILED
  ? ENTRY
  : new URL(
      `data:text/javascript,${encodeURIComponent(`import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))}; register(); await import(${JSON.stringify(ENTRY.href)});`)}`,
    );
/** Below this many elements a thread costs more than it saves. */
const MIN_PARALLEL = 4000;

/** Each value hashed onto the group ('hash') or decoded ('point'), raised to k, encoded. */
export async function blindAll(mode: 'hash' | 'point', values: readonly string[], k: bigint, threads = Math.min(4, availableParallelism())): Promise<string[]> {
  const one = (v: string, i: number) => encodePoint(blind(mode === 'hash' ? hashToGroup(v) : decodePoint(v, `element ${i}`), k));
  if (values.length < MIN_PARALLEL || threads < 2) return values.map(one);
  const size = Math.ceil(values.length / threads);
  const parts = await Promise.all(
    Array.from({ length: threads }, (_, t) => {
      const chunk = values.slice(t * size, (t + 1) * size);
      return new Promise<string[]>((resolve, reject) => {
        const w = new Worker(START, { workerData: { mode, values: chunk, k: k.toString(16), offset: t * size } });
        w.once('message', (m: { ok: true; out: string[] } | { ok: false; code: string; message: string }) => {
          void w.terminate();
          if (m.ok) resolve(m.out);
          else reject(new OpError(m.code as ErrorCode, m.message));
        });
        w.once('error', reject);
      });
    }),
  );
  return parts.flat();
}
