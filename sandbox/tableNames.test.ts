import { describe, expect, it } from 'vitest';
import { nearestTable, refuseTable } from './tableNames.ts';

const granted = new Set(['population', 'social_insurance']);
const refusal = (t: string) => {
  try {
    refuseTable(t, granted);
  } catch (e) {
    return { code: (e as { code: string }).code, message: (e as Error).message };
  }
  throw new Error('not refused');
};

describe('a table outside the file', () => {
  it('a catalog dataset not granted is "not granted"; anything else is "no table", with the nearest name within two edits', () => {
    expect(refusal('medical_claims')).toEqual({ code: 'SQL_TABLE_NOT_ALLOWED', message: 'table "medical_claims" is not granted to this authorization' });
    expect(refusal('Populaton').message).toMatch(/^no table "Populaton"; did you mean "population"\?/);
    expect(refusal('own_b_customers').message).toMatch(/^no table "own_b_customers" The granted tables: population, social_insurance/);
    expect(nearestTable('xyz', granted)).toBeUndefined();
    expect(nearestTable('x', new Set())).toBeUndefined();
  });
});
