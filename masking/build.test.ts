// Masked builds against a real raw store: raw values never enter tenant files, tokens join
// within a tenant and differ across tenants, and the leak check catches a weak policy.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATALOG, findDataset, generateSampleData } from '../datasets/index.ts';
import { buildTenantFiles, findLeaks, resolvePolicy, scopeKeyHex, validateRule, type TenantPolicy } from './index.ts';

const dir = mkdtempSync(join(tmpdir(), 'opdomain-mask-'));
const raw = join(dir, 'raw.duckdb');
const KEY_A = 'aa'.repeat(32);
const KEY_B = 'bb'.repeat(32);

async function query(path: string, sql: string): Promise<Record<string, unknown>[]> {
  const inst = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
  const con = await inst.connect();
  try {
    return (await con.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    con.closeSync();
    inst.closeSync();
  }
}

const build = (name: string, policy: TenantPolicy, key: string) =>
  buildTenantFiles({
    rawPath: raw,
    prodPath: join(dir, name, 'prod.duckdb'),
    devPath: join(dir, name, 'dev.duckdb'),
    policy,
    tenantKeyHex: key,
    devSamplePercent: 20,
  });

beforeAll(async () => {
  await generateSampleData(raw, { scale: 1500, seed: 3 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('masked builds', () => {
  it('builds prod and a by-person dev sample in which joins survive', async () => {
    const policy = resolvePolicy(CATALOG.map((d) => ({ dataset: d.id })));
    const r = await build('a', policy, KEY_A);
    expect(r.rows.population!.prod).toBe(1500);
    expect(r.rows.population!.dev).toBeGreaterThan(150);
    expect(r.rows.population!.dev).toBeLessThan(450);
    expect(r.rows.enterprise!.dev).toBe(r.rows.enterprise!.prod); // not about people: copied whole
    // Every dev contribution row's person is in the dev population (sampling by person).
    const orphans = await query(join(dir, 'a', 'dev.duckdb'), 'SELECT count(*)::INT AS n FROM social_insurance s ANTI JOIN population p USING (id_card)');
    expect(orphans[0]!.n).toBe(0);
    const cols = await query(join(dir, 'a', 'prod.duckdb'), "SELECT column_name FROM information_schema.columns WHERE table_name = 'population'");
    expect(cols.map((c) => c.column_name)).not.toContain('criminal_record');
  });

  it('tokens are stable within a tenant (joins work) and differ between tenants', async () => {
    const policy = resolvePolicy([{ dataset: 'population' }, { dataset: 'social_insurance' }]);
    await build('b', policy, KEY_B);
    const a = await query(join(dir, 'a', 'prod.duckdb'), 'SELECT count(*)::INT AS n FROM social_insurance s JOIN population p USING (id_card)');
    const total = await query(join(dir, 'a', 'prod.duckdb'), 'SELECT count(*)::INT AS n FROM social_insurance');
    expect(a[0]!.n).toBe(total[0]!.n);
    const tokA = await query(join(dir, 'a', 'prod.duckdb'), 'SELECT id_card FROM population');
    const tokB = new Set((await query(join(dir, 'b', 'prod.duckdb'), 'SELECT id_card FROM population')).map((r) => r.id_card));
    expect(tokA.filter((r) => tokB.has(r.id_card)).length).toBe(0);
  });

  it('the leak check catches keep slipped onto a phone field, names it, and leaves nothing behind', async () => {
    const good = resolvePolicy([{ dataset: 'population' }]);
    const pop = findDataset('population')!;
    const phone = pop.fields.find((f) => f.name === 'phone')!;
    // Bypass validation the way a buggy override path would: keep on a direct identifier.
    const weak: TenantPolicy = {
      hash: 'weak',
      datasets: [
        {
          dataset: 'population',
          fields: good.datasets[0]!.fields.map((f) =>
            f.field.name === 'phone' ? { ...validateRule('population', { ...phone, role: 'other', category: 'public' }, { op: 'keep' }), field: phone } : f,
          ),
        },
      ],
    };
    await expect(build('weak', weak, KEY_A)).rejects.toMatchObject({ code: 'MASK_LEAK_DETECTED', message: expect.stringContaining('population.phone') });
    expect(existsSync(join(dir, 'weak', 'prod.duckdb'))).toBe(false);
    expect(existsSync(join(dir, 'weak', 'prod.duckdb.building'))).toBe(false);
    expect(existsSync(join(dir, 'weak', 'dev.duckdb.building'))).toBe(false);
  });

  it('no raw identifier value appears in any text column of a good build (checked independently)', async () => {
    const inst = await DuckDBInstance.create(':memory:');
    const con = await inst.connect();
    await con.run(`ATTACH '${raw}' AS raw (READ_ONLY)`);
    await con.run(`ATTACH '${join(dir, 'a', 'prod.duckdb')}' AS t (READ_ONLY)`);
    const hits = await findLeaks(con, 'raw', ['t']);
    // And the same check does see raw values when pointed at the raw store itself.
    const self = await findLeaks(con, 'raw', ['raw']);
    con.closeSync();
    inst.closeSync();
    expect(hits).toEqual([]);
    expect(self.map((l) => l.rawField)).toEqual(expect.arrayContaining(['population.id_card', 'population.phone', 'medical_claims.icd10']));
  });
});

describe('builds with derived and keyed fields', () => {
  it('derive replaces the ID number with its parts, date_shift keeps intervals, and dev is still sampled', async () => {
    const policy = resolvePolicy([{ dataset: 'population' }, { dataset: 'medical_claims' }], {
      'population.id_card': { op: 'derive', params: { parts: ['birth_year', 'sex', 'city'] } },
      'medical_claims.claim_date': { op: 'date_shift', params: { minDays: -60, maxDays: 60, by: 'id_card' } },
    });
    const r = await build('derived', policy, KEY_A);
    expect(r.rows.population!.dev).toBeGreaterThan(0);
    expect(r.rows.population!.dev).toBeLessThan(r.rows.population!.prod);
    const cols = await query(
      join(dir, 'derived', 'prod.duckdb'),
      "SELECT column_name FROM information_schema.columns WHERE table_name = 'population' ORDER BY ordinal_position",
    );
    expect(cols.map((c) => c.column_name)).toEqual(expect.arrayContaining(['id_card_birth_year', 'id_card_sex', 'id_card_city']));
    expect(cols.map((c) => c.column_name)).not.toContain('id_card');
    const agree = await query(join(dir, 'derived', 'prod.duckdb'), 'SELECT count(*)::INT AS n FROM population WHERE id_card_birth_year <> year(birth_date)');
    expect(agree[0]!.n).toBe(0);
  });
});

describe('masking that knows its range', () => {
  it('a date shift of ±30 days on the sample claim dates pins nobody: the recovery attack does no better than chance', async () => {
    const policy = resolvePolicy([{ dataset: 'medical_claims' }], {
      'medical_claims.claim_date': { op: 'date_shift', params: { minDays: -30, maxDays: 30, by: 'id_card' } },
    });
    await build('shifted', policy, KEY_A);
    // The build's own expression, evaluated over the raw table with the same key: raw and masked side by side.
    const rule = policy.datasets[0]!.fields.find((f) => f.field.name === 'claim_date')!;
    const expr = rule.op.toSql('"claim_date"', rule.params, rule.field, { scopeKeyHex: (s) => scopeKeyHex(KEY_A, s) })!;
    const inst = await DuckDBInstance.create(':memory:');
    const con = await inst.connect();
    await con.run(`ATTACH '${raw}' AS raw (READ_ONLY)`);
    await con.run(`CREATE TABLE pairs AS SELECT id_card AS who, claim_date AS truth, ${expr} AS masked FROM raw.medical_claims WHERE claim_date IS NOT NULL`);
    // The attacker knows the range (the year the catalog says the claims cover) and, per person,
    // bounds the shift by it: s ∈ [max(masked) − hi, min(masked) − lo]; a narrow bound pins the raw dates.
    const r = (
      await con.runAndReadAll(`
      WITH b AS (SELECT min(truth) AS lo, max(truth) AS hi FROM pairs),
      per AS (SELECT who, max(masked) - (SELECT hi FROM b) AS s_lo, min(masked) - (SELECT lo FROM b) AS s_hi FROM pairs GROUP BY who),
      guess AS (SELECT p.who, bool_and(abs((p.masked - CAST((per.s_lo + per.s_hi) / 2 AS INTEGER)) - p.truth) <= 3) AS pinned, any_value(per.s_hi - per.s_lo) AS width
                FROM pairs p JOIN per USING (who) GROUP BY p.who)
      SELECT count(*)::INT AS people, count(*) FILTER (WHERE pinned AND width <= 6)::INT AS pinned,
             count(*) FILTER (WHERE pinned)::INT AS lucky,
             (SELECT count(*) FROM pairs, b WHERE masked < lo OR masked > hi)::INT AS outside FROM guess`)
    ).getRowObjectsJS()[0]!;
    con.closeSync();
    inst.closeSync();
    expect(Number(r.people)).toBeGreaterThan(500);
    expect(Number(r.outside)).toBe(0);
    // Narrowed to within three days: nobody; guessed within three days at all: about chance (7 of 61 shifts).
    expect(Number(r.pinned)).toBe(0);
    expect(Number(r.lucky) / Number(r.people)).toBeLessThan(0.2);
  });

  it('the leak check refuses a build whose shifted dates leave the observed range', async () => {
    // An operator that forgets the range: the range class of the leak check catches it.
    const policy = resolvePolicy([{ dataset: 'medical_claims' }], {
      'medical_claims.claim_date': { op: 'date_shift', params: { minDays: -30, maxDays: 30, by: 'id_card' } },
    });
    const plain = {
      ...policy,
      datasets: policy.datasets.map((d) => ({
        ...d,
        fields: d.fields.map((f) => (f.field.name === 'claim_date' ? { ...f, op: { ...f.op, toSql: (c: string) => `${c} + 40` } } : f)),
      })),
    };
    await expect(build('outside', plain as TenantPolicy, KEY_A)).rejects.toMatchObject({
      code: 'MASK_LEAK_DETECTED',
      message: expect.stringMatching(/claim_date \(range\)/),
    });
    expect(existsSync(join(dir, 'outside', 'prod.duckdb'))).toBe(false);
  });
});
