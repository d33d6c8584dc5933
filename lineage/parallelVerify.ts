// The audit log's segments checked on worker threads, each with its own read-only connection:
// hashing dominates verification and every segment needs only its predecessor's stored chain
// hash, so the work spreads over the machine's cores. Segments are aligned powers of two, so
// their Merkle subtrees join into the log's tree exactly (MerkleAccumulator.pushSubtree).
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { SegmentResult } from './verifySegment.ts';
import type { SegmentTask } from './verifyWorker.ts';

const COMPILED = import.meta.url.endsWith('.js');
const ENTRY = new URL(COMPILED ? './verifyWorker.js' : './verifyWorker.ts', import.meta.url);
// From the sources a thread registers tsx's loader itself before it imports its entry.
const START = COMPILED
  ? ENTRY
  : new URL(
      `data:text/javascript,${encodeURIComponent(`import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))}; register(); await import(${JSON.stringify(ENTRY.href)});`)}`,
    );

export interface ParallelOptions {
  /** Threads to use (default: the machine's cores, at most 8). Below 2 nothing runs in parallel. */
  readonly threads?: number;
  /** Logs smaller than this are checked on the calling thread, where a thread costs more than it saves. */
  readonly minEntries?: number;
  /** Entries per segment, a power of two (default: enough for about four segments per thread). */
  readonly segmentSize?: number;
}

export const MIN_PARALLEL_ENTRIES = 200_000;

export function parallelPlan(entries: number, opts: ParallelOptions = {}): { threads: number; segment: number } | null {
  const threads = opts.threads ?? Math.min(8, availableParallelism());
  if (threads < 2 || entries < (opts.minEntries ?? MIN_PARALLEL_ENTRIES)) return null;
  let segment = opts.segmentSize ?? 1 << 14;
  if (segment < 1 || (segment & (segment - 1)) !== 0) throw new RangeError('segmentSize must be a power of two');
  if (opts.segmentSize === undefined) while (segment * threads * 4 < entries) segment *= 2;
  return { threads, segment };
}

/**
 * Checks seq 1..entries in aligned segments on `threads` workers and answers the segments'
 * results in seq order. Segments after one that found a problem are not started. Rejects when
 * a thread fails to start or read (the caller then checks on its own thread).
 */
export async function verifyInParallel(
  path: string,
  entries: number,
  sizes: readonly number[],
  plan: { threads: number; segment: number },
): Promise<SegmentResult[]> {
  const tasks: SegmentTask[] = [];
  for (let first = 1; first <= entries; first += plan.segment) {
    const last = Math.min(entries, first + plan.segment - 1);
    tasks.push({ first, last, sizes });
  }
  const results: SegmentResult[] = new Array(tasks.length);
  let next = 0;
  let firstProblem = Infinity;
  const runThread = () =>
    new Promise<void>((resolve, reject) => {
      const w = new Worker(START, { workerData: { path } });
      let current = -1;
      const send = () => {
        current = next < tasks.length && next < firstProblem ? next++ : -1;
        w.postMessage(current < 0 ? null : tasks[current]);
        if (current < 0) resolve();
      };
      w.on('message', (m: { ok: true; result: SegmentResult } | { ok: false; message: string }) => {
        if (!m.ok) {
          void w.terminate();
          reject(new Error(m.message));
          return;
        }
        results[current] = m.result;
        if (m.result.problem) firstProblem = Math.min(firstProblem, current);
        send();
      });
      w.once('online', send);
      w.once('error', reject);
      w.once('exit', (code) => (current >= 0 ? reject(new Error(`a verify thread exited with code ${code}`)) : resolve()));
    });
  await Promise.all(Array.from({ length: Math.min(plan.threads, tasks.length) }, runThread));
  return results.slice(0, Math.min(tasks.length, firstProblem + 1));
}
