// drop: the field is not loaded at all.
import type { MaskOperator } from '../operator.ts';
import { asParams } from '../params.ts';

export const drop: MaskOperator<Record<string, never>> = {
  name: 'drop',
  reversible: false,
  strength: 4,
  types: 'any',
  validate: (params) => {
    asParams('drop', params, []);
    return {};
  },
  toSql: () => null,
};
