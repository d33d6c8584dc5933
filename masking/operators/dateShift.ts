// date_shift(minDays, maxDays, by): every date of one entity (e.g. one person, named by the
// `by` field) moves by the same keyed number of days, so intervals between an entity's events
// survive while calendar dates do not. The shift wraps within the field's observed range (the
// raw column's first to last date): a plain shift would leave masked dates outside the range
// whenever the raw date sat near its edge, and an entity with dates near both edges would have
// its shift — and so every raw date — pinned to within days. Wrapped, every masked date lies in
// the range and no edge says anything of the shift.
import { OpError } from '../../errors/index.ts';
import type { MaskOperator } from '../operator.ts';
import { asParams, fieldParam, intParam } from '../params.ts';
import { keyedUniformSql } from './keyedUniform.ts';

export const dateShift: MaskOperator<{ minDays: number; maxDays: number; by: string }> = {
  name: 'date_shift',
  reversible: false,
  strength: 2,
  types: ['DATE'],
  validate(params) {
    const p = asParams('date_shift', params, ['minDays', 'maxDays', 'by']);
    const minDays = intParam('date_shift', p, 'minDays', undefined, -3650, 3650);
    const maxDays = intParam('date_shift', p, 'maxDays', undefined, -3650, 3650);
    if (maxDays <= minDays) throw new OpError('MASK_BAD_PARAMS', 'date_shift: maxDays must be greater than minDays');
    return { minDays, maxDays, by: fieldParam('date_shift', p, 'by') };
  },
  toSql: (column, p, _field, ctx) => {
    const u = keyedUniformSql(ctx.scopeKeyHex('date_shift'), p.by, `"${p.by}"`);
    const shift = `CAST(${p.minDays} + floor(${u} * ${p.maxDays - p.minDays + 1}) AS BIGINT)`;
    const lo = `min(${column}) OVER ()`;
    const span = `(max(${column}) OVER () - ${lo} + 1)`;
    return `CASE WHEN ${column} IS NULL THEN NULL ELSE ${lo} + CAST((((${column} - ${lo}) + ${shift}) % ${span} + ${span}) % ${span} AS INTEGER) END`;
  },
};
