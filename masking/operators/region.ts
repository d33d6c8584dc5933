// region(level): a 6-digit administrative division code generalised to its city or province.
import type { MaskOperator } from '../operator.ts';
import { asParams, enumParam } from '../params.ts';

export const region: MaskOperator<{ level: 'city' | 'province' }> = {
  name: 'region',
  reversible: false,
  strength: 2,
  types: ['VARCHAR'],
  validate(params) {
    const p = asParams('region', params, ['level']);
    return { level: enumParam('region', p, 'level', ['city', 'province'] as const) };
  },
  toSql: (column, p) =>
    `CASE WHEN regexp_full_match(${column}, '[0-9]{6}') THEN left(${column}, ${p.level === 'city' ? 4 : 2}) || '${p.level === 'city' ? '00' : '0000'}' ELSE NULL END`,
};
