import { describe, expect, it } from 'vitest';
import { resolvePolicy } from './index.ts';

const code = (fn: () => unknown) => {
  try {
    fn();
    return 'OK';
  } catch (e) {
    return (e as { code: string }).code;
  }
};

describe('policies: default deny, catalog defaults, overrides that only strengthen', () => {
  it('grants every grantable field by default and never the prohibited one', () => {
    const p = resolvePolicy([{ dataset: 'population' }]);
    const names = p.datasets[0]!.fields.map((f) => f.field.name);
    expect(names).toContain('id_card');
    expect(names).not.toContain('criminal_record');
    expect(p.hash).toMatch(/^[0-9a-f]{64}$/);
  });
  it('refuses, with codes, what the rules forbid', () => {
    expect(code(() => resolvePolicy([{ dataset: 'population', fields: ['criminal_record'] }]))).toBe('DATASET_NOT_GRANTABLE'); // R8
    expect(code(() => resolvePolicy([{ dataset: 'tax_records' }]))).toBe('DATASET_NOT_FOUND');
    expect(code(() => resolvePolicy([{ dataset: 'population', fields: ['salary'] }]))).toBe('DATASET_NOT_FOUND');
    expect(code(() => resolvePolicy([{ dataset: 'population' }], { 'population.phone': { op: 'keep' } }))).toBe('MASK_TOO_WEAK');
    expect(code(() => resolvePolicy([{ dataset: 'medical_claims' }], { 'medical_claims.icd10': { op: 'keep' } }))).toBe('MASK_TOO_WEAK');
    expect(code(() => resolvePolicy([{ dataset: 'population' }], { 'population.id_card': { op: 'mask', params: { preset: 'id_card' } } }))).toBe(
      'MASK_TOO_WEAK',
    );
    expect(code(() => resolvePolicy([{ dataset: 'population' }], { 'population.birth_date': { op: 'bucket', params: { lower: 0, upper: 1, size: 1 } } }))).toBe(
      'MASK_WRONG_TYPE',
    );
    expect(code(() => resolvePolicy([{ dataset: 'population' }], { 'population.name': { op: 'scramble' } }))).toBe('MASK_UNKNOWN_OPERATOR');
    expect(code(() => resolvePolicy([{ dataset: 'population', fields: ['gender'] }], { 'population.phone': { op: 'drop' } }))).toBe('BAD_REQUEST');
  });
  it('accepts stronger overrides and changes the policy hash', () => {
    const base = resolvePolicy([{ dataset: 'population' }]);
    const strong = resolvePolicy([{ dataset: 'population' }], {
      'population.phone': { op: 'drop' },
      'population.county_code': { op: 'region', params: { level: 'city' } },
    });
    expect(strong.hash).not.toBe(base.hash);
  });
});

describe('keyed operators in policies', () => {
  it('need their entity field to exist, and derive replaces an ID number with its parts', () => {
    expect(
      code(() =>
        resolvePolicy([{ dataset: 'medical_claims' }], {
          'medical_claims.claim_date': { op: 'date_shift', params: { minDays: -10, maxDays: 10, by: 'nobody' } },
        }),
      ),
    ).toBe('MASK_BAD_PARAMS');
    expect(
      code(() =>
        resolvePolicy([{ dataset: 'medical_claims' }], {
          'medical_claims.claim_date': { op: 'date_shift', params: { minDays: -10, maxDays: 10, by: 'id_card' } },
        }),
      ),
    ).toBe('OK');
    expect(code(() => resolvePolicy([{ dataset: 'population' }], { 'population.id_card': { op: 'derive', params: { parts: ['birth_year', 'sex'] } } }))).toBe(
      'OK',
    );
  });
});
