// Masked build of the population table against a plain CREATE TABLE AS SELECT * of the same
// rows, in the same run (the masking issue's measure; goal: under 1.5×).
//   npm run bench:masking -- --scale 5000000
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { timedCtas } from './ctas.ts';
import { generateSampleData } from '../datasets/index.ts';
import { compileDataset, resolvePolicy, scopeKeyHex } from '../masking/index.ts';

const i = process.argv.indexOf('--scale');
const SCALE = i >= 0 ? Number(process.argv[i + 1]) : 1_000_000;
const dir = mkdtempSync(join(tmpdir(), 'opdomain-bench-mask-'));
const raw = join(dir, 'raw.duckdb');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
try {
  console.error(`generating ${SCALE} people …`);
  await generateSampleData(raw, { scale: SCALE });
  const policy = resolvePolicy([{ dataset: 'population' }]);
  const key = 'ab'.repeat(32);
  const select = compileDataset(policy.datasets[0]!, 'raw.population', { scopeKeyHex: (s) => scopeKeyHex(key, s) });
  const plain: number[] = [];
  const masked: number[] = [];
  for (let n = 0; n < 3; n++) {
    plain.push(await timedCtas(dir, raw, [{ name: 'population', select: 'SELECT * FROM raw.population' }], `p${n}`));
    masked.push(await timedCtas(dir, raw, [{ name: 'population', select }], `m${n}`));
  }
  const p = median(plain);
  const m = median(masked);
  console.log(`\nmasked build of ${SCALE} population rows — ${new Date().toISOString()}, node ${process.version}\n`);
  console.log('| measure | time (median of 3) | ratio |\n| --- | --- | --- |');
  console.log(`| plain CREATE TABLE AS SELECT * | ${p.toFixed(0)} ms | 1.00× |`);
  console.log(`| masked (token id_card, mask name/phone/address, date_trunc birth_date) | ${m.toFixed(0)} ms | ${(m / p).toFixed(2)}× |`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
