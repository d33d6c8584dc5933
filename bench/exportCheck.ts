// The full export check on a one-million-row output against a plain DuckDB scan of the same
// rows, in one run (the export gate issue's measure).
//   npm run bench:export -- --rows 1000000 --people 1000000
// The output is record-level (county, sex, age band, an amount, a free-text label), so every
// row-wise rule works: identifier patterns on each cell, the identifier join of every distinct
// string against the domain's raw and masked values, k-anonymity, row cap.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { DEFAULT_THRESHOLDS, runChecks, withCheckContext, writeParquet } from '../exports/index.ts';
import { Opdomain, setupDemo } from '../gateway/index.ts';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const ROWS = arg('--rows', 1_000_000);
const PEOPLE = arg('--people', 200_000);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const dir = mkdtempSync(join(tmpdir(), 'opdomain-bench-export-'));
try {
  const od = await Opdomain.open({ home: dir, workerPool: 1 });
  console.error(`setting up the demo domain (${PEOPLE.toLocaleString('en')} people) …`);
  await setupDemo(od, { scale: PEOPLE });
  const columns = [
    { name: 'county_code', type: 'VARCHAR' as const },
    { name: 'gender', type: 'VARCHAR' as const },
    { name: 'age_band', type: 'VARCHAR' as const },
    { name: 'amount', type: 'DOUBLE' as const },
    { name: 'label', type: 'VARCHAR' as const },
  ];
  const rows: unknown[][] = [];
  for (let i = 0; i < ROWS; i++)
    rows.push([
      `3301${String(i % 13).padStart(2, '0')}`,
      i % 2 ? 'M' : 'F',
      `${20 + (i % 6) * 10}-${29 + (i % 6) * 10}`,
      ((i * 7919) % 100000) / 10,
      `group ${i % 500}`,
    ]);
  const pq = join(dir, 'output.parquet');
  await writeParquet(pq, columns, rows);

  const scan: number[] = [];
  const inside: number[] = [];
  const check: number[] = [];
  let verdict = '';
  for (let n = 0; n < 3; n++) {
    // Plain scan: DuckDB reads the same rows and hands every value to JavaScript.
    const inst = await DuckDBInstance.create(':memory:');
    const con = await inst.connect();
    let t = performance.now();
    await con.runAndReadAll(`SELECT ${columns.map((c) => `count(${c.name})`).join(', ')} FROM '${pq}'`);
    inside.push(performance.now() - t);
    t = performance.now();
    const r = await con.runAndReadAll(`SELECT * FROM '${pq}'`);
    const back = r.getRows();
    scan.push(performance.now() - t);
    if (back.length !== ROWS) throw new Error('scan lost rows');
    con.closeSync();
    inst.closeSync();

    t = performance.now();
    const report = await withCheckContext(
      {
        rawPath: od.ctx.paths.rawDb,
        tenantProdPath: od.ctx.paths.tenantDb('demo', 'prod'),
        tenant: 'demo',
        queries: [],
        thresholds: DEFAULT_THRESHOLDS,
        output: { name: 'bench', columns, rows },
      },
      runChecks,
    );
    check.push(performance.now() - t);
    verdict = `${report.verdict} (${
      report.rules
        .filter((x) => x.verdict !== 'pass')
        .map((x) => x.rule)
        .join(', ') || 'all pass'
    })`;
  }
  // An aggregate output of about a thousand cells: the check re-runs the job's query to tie the
  // output to it by content, then measures every cell per person (units, contributions, the
  // full grid) from the tenant file; compared with DuckDB running the job's query on that file.
  const AGG = `SELECT p.county_code, year(p.birth_date) // 4 AS era, count(*) AS people, round(avg(s.base_amount), 2) AS avg_base, sum(s.base_amount) AS total_base
    FROM population p JOIN social_insurance s ON s.id_card = p.id_card WHERE s.month = $1 GROUP BY ALL ORDER BY 1, 2`;
  const tenantDb = await DuckDBInstance.create(od.ctx.paths.tenantDb('demo', 'prod'), { access_mode: 'READ_ONLY' });
  const tcon = await tenantDb.connect();
  // The output as a real prod job writes it: the script passes the query's rows through.
  const alice = await od.principal({ as: 'alice' });
  const job = await od.jobs.run(alice, { tenant: 'demo', env: 'prod', script: `output('agg', await sql(${JSON.stringify(AGG)}, ['2024-06']))` });
  if (!job.ok) throw new Error(`the job failed: ${JSON.stringify(job.error)}`);
  const stored = od.jobs.output(job.jobId, 'agg');
  const recorded = od.jobs.allowedQueries(job.jobId);
  const aggRows = stored.rows;
  const aggColumns = stored.columns;
  const query: number[] = [];
  const aggCheck: number[] = [];
  let aggVerdict = '';
  for (let n = 0; n < 3; n++) {
    let t = performance.now();
    await tcon.runAndReadAll(AGG, ['2024-06']);
    query.push(performance.now() - t);
    t = performance.now();
    const report = await withCheckContext(
      {
        rawPath: od.ctx.paths.rawDb,
        tenantProdPath: od.ctx.paths.tenantDb('demo', 'prod'),
        tenant: 'demo',
        queries: recorded,
        thresholds: DEFAULT_THRESHOLDS,
        output: { name: 'agg', columns: aggColumns, rows: aggRows },
      },
      runChecks,
    );
    aggCheck.push(performance.now() - t);
    aggVerdict = `${report.verdict} (${
      report.rules
        .filter((x) => x.verdict !== 'pass')
        .map((x) => x.rule)
        .join(', ') || 'all pass'
    })`;
  }
  tcon.closeSync();
  tenantDb.closeSync();
  await od.close();
  const s = median(scan);
  const c = median(check);
  console.log(`\nexport check of a ${ROWS.toLocaleString('en')}-row output — ${new Date().toISOString()}, node ${process.version}\n`);
  console.log('| measure | time (median of 3) | ratio |\n| --- | --- | --- |');
  const i = median(inside);
  console.log(`| plain DuckDB scan of the output (Parquet → JavaScript values) | ${s.toFixed(0)} ms | 1.00× |`);
  console.log(`| DuckDB scan inside the engine only (count of every column; no values to JavaScript) | ${i.toFixed(0)} ms | ${(i / s).toFixed(2)}× |`);
  console.log(`| full export check (every rule; verdict ${verdict}) | ${c.toFixed(0)} ms | ${(c / s).toFixed(2)}× |`);
  const q = median(query);
  const a = median(aggCheck);
  console.log(
    `\nexport check of an aggregate output (${aggRows.length} cells: county × era, each with count, avg, sum) over ${PEOPLE.toLocaleString('en')} people\n`,
  );
  console.log('| measure | time (median of 3) | ratio |\n| --- | --- | --- |');
  console.log(`| DuckDB runs the job's query on the tenant file | ${q.toFixed(0)} ms | 1.00× |`);
  console.log(
    `| full export check: query re-run for provenance, every cell measured per person (verdict ${aggVerdict}) | ${a.toFixed(0)} ms | ${(a / q).toFixed(2)}× |`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
