// Column usage levels and own-data imports, side by side with their floors in one run:
//   npm run bench:own                         (1,000,000-row import, demo scale 3000 people)
//   npm run bench:own -- --rows 2000000 --gates 2000
// 1. the SQL gate on a 10-join query without levels (the floor) and with them: the added p50;
// 2. an import of a --rows CSV: upload (schema check and profile) plus approval (load into the
//    own raw store, the masked build with tokens, the leak check) as rows/s, against DuckDB
//    reading the same CSV into a table (COPY) in the same run.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { CATALOG, defaultUsage, residentIdCheckSql } from '../datasets/index.ts';
import { Opdomain, setupDemo } from '../gateway/index.ts';
import { checkQuery } from '../sandbox/index.ts';
import { arg, Figures, ms, pct } from './figures.ts';

const ROWS = arg('rows', 1_000_000);
const GATES = arg('gates', 1000);
const figures = new Figures();

const JOIN10 = `SELECT p.county_code, e.industry_code, count(DISTINCT p.id_card) AS people, round(avg(s.base_amount), 2) AS avg_base, sum(c.amount) AS claims
FROM population p
JOIN social_insurance s ON s.id_card = p.id_card
JOIN enterprise e ON e.credit_code = s.credit_code
JOIN medical_claims c ON c.id_card = p.id_card
JOIN population p2 ON p2.id_card = e.legal_rep_id_card
JOIN social_insurance s2 ON s2.id_card = p2.id_card
JOIN medical_claims c2 ON c2.id_card = p2.id_card
JOIN enterprise e2 ON e2.credit_code = s2.credit_code
JOIN population p3 ON p3.id_card = c2.id_card
JOIN social_insurance s3 ON s3.id_card = p3.id_card
JOIN medical_claims c3 ON c3.id_card = s3.id_card
WHERE p.gender = '女' AND c.claim_date >= DATE '2024-01-01'
GROUP BY 1, 2 HAVING count(*) >= 10 ORDER BY 1, 2`;

async function gateBench(): Promise<void> {
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  const tables = new Set(CATALOG.map((d) => d.id));
  const columnsOf = (t: string) => CATALOG.find((d) => d.id === t)?.fields.map((f) => f.name) ?? [];
  const levelOf = (t: string, c: string) => defaultUsage(CATALOG.find((d) => d.id === t)!.fields.find((f) => f.name === c)!).sandbox;
  const plain: number[] = [];
  const levels: number[] = [];
  for (let i = 0; i < GATES; i++) {
    // Alternate so both share the machine's state; each call parses afresh (no verdict cache here).
    let t = performance.now();
    await checkQuery(con, JOIN10, tables, columnsOf);
    plain.push(performance.now() - t);
    t = performance.now();
    await checkQuery(con, JOIN10, tables, columnsOf, { levelOf, audience: 'sandbox' });
    levels.push(performance.now() - t);
  }
  const [a, b] = [pct(plain, 0.5), pct(levels, 0.5)];
  figures.report('gate, 10-join query, without levels (floor) p50', ms(a));
  figures.report('gate, 10-join query, with levels p50', ms(b), `${(b / a).toFixed(2)}× (added ${ms(b - a)})`);
  con.closeSync();
  db.closeSync();
}

async function importBench(dir: string): Promise<void> {
  const csv = join(dir, 'customers.csv');
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  // Valid resident ID numbers (county, birth date, sequence, check character), a segment, an amount.
  const base = `'3301' || lpad(((range % 90) + 2)::VARCHAR, 2, '0') || strftime(DATE '1950-01-01' + (range % 20000)::INTEGER, '%Y%m%d') || lpad((range % 997)::VARCHAR, 3, '0')`;
  await con.run(`COPY (SELECT id || ${residentIdCheckSql('id')} AS customer_id, ['retail', 'premier', 'private'][range % 3 + 1] AS segment, round(1000 + (range * 7919) % 50000, 2) AS spend
    FROM (SELECT range, ${base} AS id FROM range(${ROWS}))) TO '${csv}' (HEADER)`);
  let t = performance.now();
  await con.run(`CREATE TABLE floor AS SELECT * FROM read_csv('${csv}', header = true)`);
  const floorMs = performance.now() - t;
  con.closeSync();
  db.closeSync();

  const od = await Opdomain.open({ home: join(dir, 'home'), workerPool: 0 });
  try {
    await setupDemo(od, { scale: 3000 });
    const alice = await od.principal({ as: 'alice' });
    const bob = await od.principal({ as: 'bob' });
    const req = od.imports.request(alice, {
      tenant: 'demo',
      scenario: 'public-statistics',
      justification: 'Customers counted by county for the bench.',
      declaration: {
        name: 'customers',
        title: 'bench customers',
        lawfulBasis: 'contract',
        fields: [
          { name: 'customer_id', type: 'VARCHAR', category: 'personal', grade: 'general', role: 'direct_identifier', identifies: 'person', required: true },
          { name: 'segment', type: 'VARCHAR', category: 'personal', grade: 'general', role: 'other' },
          { name: 'spend', type: 'DOUBLE', category: 'personal', grade: 'general', role: 'sensitive_attribute' },
        ],
      },
    });
    t = performance.now();
    await od.imports.upload(alice, req.id, csv);
    const uploadMs = performance.now() - t;
    t = performance.now();
    const done = await od.imports.vote(bob, req.id, 'approve');
    const approveMs = performance.now() - t;
    if (done.state !== 'loaded') throw new Error(`import ended ${done.state}: ${JSON.stringify(done.error)}`);
    const total = uploadMs + approveMs;
    const mb = statSync(csv).size / 1e6;
    figures.report(
      `DuckDB reads the ${ROWS.toLocaleString('en')}-row CSV (${mb.toFixed(0)} MB) into a table (floor)`,
      `${ms(floorMs)} (${Math.round(ROWS / (floorMs / 1000)).toLocaleString('en')} rows/s)`,
    );
    figures.report('upload: schema check and profile', ms(uploadMs));
    figures.report('approval: load, masked build with tokens, leak check (demo tenant rebuilt whole)', ms(approveMs));
    figures.report('import in all', `${ms(total)} (${Math.round(ROWS / (total / 1000)).toLocaleString('en')} rows/s)`, `${(total / floorMs).toFixed(2)}×`);
  } finally {
    await od.close();
  }
}

const dir = mkdtempSync(join(tmpdir(), 'opdomain-bench-own-'));
try {
  await gateBench();
  await importBench(dir);
  console.log(`| what | figure | against the floor |\n| --- | --- | --- |\n${figures.rows.map((r) => `| ${r.join(' | ')} |`).join('\n')}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
