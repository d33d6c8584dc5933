// One thread of blindAll(): raises its share of the elements to the scalar and answers with their
// encodings, or with the first refusal (its code and the element's index in the whole set).
import { parentPort, workerData } from 'node:worker_threads';
import { blind, decodePoint, encodePoint, hashToGroup } from './group.ts';

const { mode, values, k, offset } = workerData as { mode: 'hash' | 'point'; values: string[]; k: string; offset: number };
const scalar = BigInt(`0x${k}`);
try {
  const out = values.map((v, i) => encodePoint(blind(mode === 'hash' ? hashToGroup(v) : decodePoint(v, `element ${offset + i}`), scalar)));
  parentPort!.postMessage({ ok: true, out });
} catch (err) {
  const e = err as { code?: string; message?: string };
  parentPort!.postMessage({ ok: false, code: e.code ?? 'INTERNAL', message: String(e.message ?? err) });
}
