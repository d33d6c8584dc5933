import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CATALOG, checkCatalogEntry, isGrantable, loadCatalogDir } from './index.ts';

const population = JSON.parse(readFileSync(new URL('./catalog/population.json', import.meta.url), 'utf8'));
const code = (fn: () => unknown) => {
  try {
    fn();
    return 'OK';
  } catch (e) {
    return `${(e as { code: string }).code}: ${(e as Error).message}`;
  }
};

describe('catalog files', () => {
  it('ships four valid entries; every field has a category, grade, openness, role and default mask', () => {
    expect(CATALOG.map((d) => d.id).sort()).toEqual(['enterprise', 'medical_claims', 'population', 'social_insurance']);
    for (const d of CATALOG) for (const f of d.fields) expect(f.mask.op.length).toBeGreaterThan(0);
    expect(
      CATALOG.find((d) => d.id === 'population')!
        .fields.filter((f) => !isGrantable(f))
        .map((f) => f.name),
    ).toEqual(['criminal_record']);
  });
  it('refuses entries that break the schema or are inconsistent, naming the problem', () => {
    const broken: [string, unknown][] = [
      ['no fields', { ...population, fields: [] }],
      ['a bad grade', { ...population, grade: 'secret' }],
      ['an unknown property', { ...population, owner: 'x' }],
      ['a field without a role', { ...population, fields: [{ ...population.fields[0], role: undefined }] }],
      ['a duplicate field', { ...population, fields: [population.fields[0], population.fields[0]] }],
      ['a sample key that is no field', { ...population, sampleKey: 'nobody' }],
      ['a bad id', { ...population, id: 'Population!' }],
    ];
    for (const [what, entry] of broken)
      expect(
        code(() => checkCatalogEntry(JSON.parse(JSON.stringify(entry)), what)),
        what,
      ).toMatch(new RegExp(`^CATALOG_INVALID: ${what}`));
  });
  it('refuses a catalog folder with two entries of one id or a file that is not JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'opdomain-cat-'));
    try {
      writeFileSync(join(dir, 'a.json'), JSON.stringify(population));
      writeFileSync(join(dir, 'b.json'), JSON.stringify(population));
      expect(code(() => loadCatalogDir(dir))).toMatch(/CATALOG_INVALID: dataset id "population" appears twice/);
      writeFileSync(join(dir, 'b.json'), '{ nope');
      expect(code(() => loadCatalogDir(dir))).toMatch(/CATALOG_INVALID: b.json: not valid JSON/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
