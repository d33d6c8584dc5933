import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COUNTIES, generateSampleData, isCreditCode, isMobile, isResidentId, type DatasetVersion } from './index.ts';

const home = { dir: mkdtempSync(join(tmpdir(), 'opdomain-gen-')), cleanup: () => rmSync(home.dir, { recursive: true, force: true }) };
let v1: DatasetVersion[];
let v2: DatasetVersion[];
let rows: Record<string, Record<string, unknown>[]>;

beforeAll(async () => {
  v1 = await generateSampleData(`${home.dir}/a.duckdb`, { scale: 2000, seed: 7 });
  v2 = await generateSampleData(`${home.dir}/b.duckdb`, { scale: 2000, seed: 7 });
  const inst = await DuckDBInstance.create(`${home.dir}/a.duckdb`, { access_mode: 'READ_ONLY' });
  const con = await inst.connect();
  rows = {};
  for (const t of ['population', 'enterprise', 'social_insurance', 'medical_claims'])
    rows[t] = (await con.runAndReadAll(`SELECT * FROM ${t}`)).getRowObjectsJson() as Record<string, unknown>[];
  con.closeSync();
  inst.closeSync();
});
afterAll(() => home.cleanup());

describe('sample data', () => {
  it('is deterministic: one seed, identical contents', () => {
    expect(v2).toEqual(v1);
  });
  it('has valid identifiers, real Zhejiang counties and mobile numbers', () => {
    const codes = new Set(COUNTIES.map((c) => c.code));
    for (const p of rows.population!) {
      expect(isResidentId(String(p.id_card)), String(p.id_card)).toBe(true);
      expect(codes.has(String(p.county_code))).toBe(true);
      expect(String(p.id_card).slice(0, 6)).toBe(p.county_code);
      expect(String(p.id_card).slice(6, 14)).toBe(String(p.birth_date).replaceAll('-', ''));
      expect(Number(String(p.id_card)[16]) % 2 === 1 ? '男' : '女').toBe(p.gender);
      expect(isMobile(String(p.phone))).toBe(true);
    }
    expect(new Set(rows.population!.map((p) => p.id_card)).size).toBe(rows.population!.length);
    for (const e of rows.enterprise!) expect(isCreditCode(String(e.credit_code)), String(e.credit_code)).toBe(true);
  });
  it('links datasets: contributions point to real people and enterprises, claims to real people', () => {
    const people = new Set(rows.population!.map((p) => p.id_card));
    const firms = new Set(rows.enterprise!.map((e) => e.credit_code));
    for (const s of rows.social_insurance!) {
      expect(people.has(s.id_card)).toBe(true);
      expect(firms.has(s.credit_code)).toBe(true);
    }
    for (const c of rows.medical_claims!) expect(people.has(c.id_card)).toBe(true);
    for (const e of rows.enterprise!) expect(people.has(e.legal_rep_id_card)).toBe(true);
    expect(rows.social_insurance!.length).toBeGreaterThan(2000 * 3);
  });
  it('refuses a scale out of range', async () => {
    await expect(generateSampleData(`${home.dir}/c.duckdb`, { scale: 5 })).rejects.toThrow(/scale/);
  });
});
