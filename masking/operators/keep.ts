// keep: the value as it is. Refused for direct identifiers and sensitive personal fields.
import type { MaskOperator } from '../operator.ts';
import { asParams } from '../params.ts';

export const keep: MaskOperator<Record<string, never>> = {
  name: 'keep',
  reversible: true,
  strength: 0,
  types: 'any',
  validate: (params) => {
    asParams('keep', params, []);
    return {};
  },
  toSql: (column) => column,
};
