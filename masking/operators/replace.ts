// replace(value): every non-NULL value becomes one constant string.
import { OpError } from '../../errors/index.ts';
import type { MaskOperator } from '../operator.ts';
import { asParams, sqlLiteral } from '../params.ts';

export const replace: MaskOperator<{ value: string }> = {
  name: 'replace',
  reversible: false,
  strength: 4,
  types: ['VARCHAR'],
  validate(params) {
    const p = asParams('replace', params, ['value']);
    if (typeof p.value !== 'string' || p.value.length > 200)
      throw new OpError('MASK_BAD_PARAMS', 'replace: "value" must be a string of at most 200 characters');
    return { value: p.value };
  },
  toSql: (column, p) => `CASE WHEN ${column} IS NULL THEN NULL ELSE ${sqlLiteral(p.value)} END`,
};
