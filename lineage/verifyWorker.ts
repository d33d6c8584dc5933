// One thread of the audit log's parallel verification: opens its own read-only connection to
// the control file and checks the segments it is sent, answering each with its result.
import { parentPort, workerData } from 'node:worker_threads';
import { openReadOnly } from '../store/index.ts';
import { SEGMENT_COLUMNS, verifySegment, type AuditRowTuple } from './verifySegment.ts';

export interface SegmentTask {
  readonly first: number;
  readonly last: number;
  readonly sizes: readonly number[];
}

const db = openReadOnly((workerData as { path: string }).path);
parentPort!.on('message', (task: SegmentTask | null) => {
  if (task === null) {
    db.close();
    parentPort!.close();
    return;
  }
  try {
    const prev = task.first === 1 ? Buffer.alloc(32) : db.get<{ chain_hash: Buffer }>('SELECT chain_hash FROM audit WHERE seq = ?', task.first - 1)?.chain_hash;
    if (!prev) {
      parentPort!.postMessage({
        ok: true,
        result: { count: 0, stack: [], snapshots: [], problem: { seq: task.first - 1, reason: `entry ${task.first - 1} is missing` } },
      });
      return;
    }
    const rows = db.rows(
      `SELECT ${SEGMENT_COLUMNS} FROM audit WHERE seq >= ? AND seq <= ? ORDER BY seq`,
      task.first,
      task.last,
    ) as IterableIterator<AuditRowTuple>;
    parentPort!.postMessage({ ok: true, result: verifySegment(rows, task.first, task.last, prev, task.sizes) });
  } catch (err) {
    parentPort!.postMessage({ ok: false, message: (err as Error).message });
  }
});
