// date_trunc(unit): dates generalised to the first day of their year, quarter or month.
import type { MaskOperator } from '../operator.ts';
import { asParams, enumParam } from '../params.ts';

export const dateTrunc: MaskOperator<{ unit: 'year' | 'quarter' | 'month' }> = {
  name: 'date_trunc',
  reversible: false,
  strength: 2,
  types: ['DATE'],
  validate(params) {
    const p = asParams('date_trunc', params, ['unit']);
    return { unit: enumParam('date_trunc', p, 'unit', ['year', 'quarter', 'month'] as const) };
  },
  toSql: (column, p) => `CAST(date_trunc('${p.unit}', ${column}) AS DATE)`,
};
