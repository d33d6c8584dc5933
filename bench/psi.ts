// Private set intersection against the bare cost of its group operations, in one run:
//   npm run bench:psi                                  (100,000 client ids × 1,000,000 people)
//   npm run bench:psi -- --client 10000 --people 100000
// 1. the bare cost per operation (hash_to_ristretto255, a scalar multiplication with encoding,
//    a decoding) measured on --sample elements first;
// 2. the whole protocol (client and domain in this process, no HTTP), its time per element,
//    against what its operation counts cost at the bare rates.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { Opdomain, setupDemo } from '../gateway/index.ts';
import { blind, blindAll, decodePoint, encodePoint, hashToGroup, randomScalar, runPsiClient } from '../privacy/index.ts';
import { arg, Figures, ms } from './figures.ts';

const CLIENT = arg('client', 100_000);
const PEOPLE = arg('people', 1_000_000);
const SAMPLE = arg('sample', 20_000);
const figures = new Figures();

/** The same operations as the protocol runs them (spread over the cores), per element. */
async function bareParallel(): Promise<{ hashMode: number; pointMode: number }> {
  const k = randomScalar();
  const ids = Array.from({ length: SAMPLE * 4 }, (_, i) => `33010319900101${String(i).padStart(5, '0')}`);
  let t = performance.now();
  const pts = await blindAll('hash', ids, k);
  const hashMode = (performance.now() - t) / ids.length;
  t = performance.now();
  await blindAll('point', pts, k);
  const pointMode = (performance.now() - t) / ids.length;
  return { hashMode, pointMode };
}

function bare(): { hash: number; mul: number; decode: number } {
  const k = randomScalar();
  let t = performance.now();
  const pts = Array.from({ length: SAMPLE }, (_, i) => hashToGroup(`33010219900101${String(i).padStart(4, '0')}`));
  const hash = (performance.now() - t) / SAMPLE;
  t = performance.now();
  const enc = pts.map((p) => encodePoint(blind(p, k)));
  const mul = (performance.now() - t) / SAMPLE;
  t = performance.now();
  for (const [i, e] of enc.entries()) decodePoint(e, `e${i}`);
  const decode = (performance.now() - t) / SAMPLE;
  return { hash, mul, decode };
}

const dir = mkdtempSync(join(tmpdir(), 'opdomain-bench-psi-'));
try {
  const od = await Opdomain.open({ home: join(dir, 'home'), workerPool: 0 });
  await setupDemo(od, { scale: PEOPLE });
  const db = await DuckDBInstance.create(od.ctx.paths.rawDb, { access_mode: 'READ_ONLY' });
  const con = await db.connect();
  const people = (await con.runAndReadAll(`SELECT id_card FROM population ORDER BY hash(id_card) LIMIT ${Math.floor(CLIENT / 2)}`))
    .getRows()
    .map((r) => String(r[0]));
  con.closeSync();
  db.closeSync();
  // Half the client's set is in the public data, half is not.
  const ids = [...people, ...Array.from({ length: CLIENT - people.length }, (_, i) => `99${String(i).padStart(16, '0')}`)];
  const rate = bare();
  figures.report(`bare hash_to_ristretto255, one thread (${SAMPLE.toLocaleString('en')} elements)`, `${(rate.hash * 1000).toFixed(1)} µs/element`);
  figures.report('bare scalar multiplication + encoding, one thread', `${(rate.mul * 1000).toFixed(1)} µs/element`);
  figures.report('bare decoding, one thread', `${(rate.decode * 1000).toFixed(1)} µs/element`);
  const par = await bareParallel();
  figures.report(`bare hash + multiply + encode, all cores (${(SAMPLE * 4).toLocaleString('en')} elements)`, `${(par.hashMode * 1000).toFixed(1)} µs/element`);
  figures.report('bare decode + multiply + encode, all cores', `${(par.pointMode * 1000).toFixed(1)} µs/element`);
  const alice = await od.principal({ as: 'alice' });
  const t = performance.now();
  const r = await runPsiClient(ids, {
    start: () => od.psi.start(alice, { tenant: 'demo', name: 'bench', revealSize: true }),
    blinded: (id, elements, mac) => od.psi.blinded(alice, id, { elements, mac }),
    finish: (id, elements, mac) => od.psi.finish(alice, id, { elements, mac }),
  });
  const total = performance.now() - t;
  const n = od.psi.show(alice, r.session).domainSize!;
  // Client: hash its set onto the group and blind it, decode and blind the domain's answer;
  // domain: decode and blind the client's set, hash and blind its own (the final answers are
  // compared as encodings, not decoded).
  const floor = (CLIENT + n) * par.hashMode + (n + CLIENT) * par.pointMode;
  figures.report(
    `protocol, ${CLIENT.toLocaleString('en')} × ${n.toLocaleString('en')} (matched ${r.matched}), incl. loading the result table`,
    `${ms(total)} (${((total / (CLIENT + n)) * 1000).toFixed(1)} µs per element)`,
    `${(total / floor).toFixed(2)}× the bare operations on all cores (${ms(floor)})`,
  );
  console.log(`| what | figure | against the floor |\n| --- | --- | --- |\n${figures.rows.map((x) => `| ${x.join(' | ')} |`).join('\n')}`);
  await od.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
