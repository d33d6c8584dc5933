// nullify: the column stays (schemas keep their shape) but every value is NULL.
import type { MaskOperator } from '../operator.ts';
import { asParams } from '../params.ts';

export const nullify: MaskOperator<Record<string, never>> = {
  name: 'nullify',
  reversible: false,
  strength: 4,
  types: 'any',
  validate: (params) => {
    asParams('nullify', params, []);
    return {};
  },
  toSql: (_column, _p, field) => `CAST(NULL AS ${field.type})`,
};
