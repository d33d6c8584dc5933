// bucket(lower, upper, size): numbers generalised to the lower bound of a fixed-width band,
// clamped into [lower, upper].
import { OpError } from '../../errors/index.ts';
import type { MaskOperator } from '../operator.ts';
import { asParams, numParam } from '../params.ts';

export const bucket: MaskOperator<{ lower: number; upper: number; size: number }> = {
  name: 'bucket',
  reversible: false,
  strength: 2,
  types: ['INTEGER', 'BIGINT', 'DOUBLE'],
  validate(params) {
    const p = asParams('bucket', params, ['lower', 'upper', 'size']);
    const lower = numParam('bucket', p, 'lower');
    const upper = numParam('bucket', p, 'upper');
    const size = numParam('bucket', p, 'size');
    if (!(upper > lower) || !(size > 0)) throw new OpError('MASK_BAD_PARAMS', 'bucket: need upper > lower and size > 0');
    return { lower, upper, size };
  },
  toSql: (column, p) =>
    `CASE WHEN ${column} IS NULL THEN NULL ELSE ${p.lower} + floor((least(greatest(${column}, ${p.lower}), ${p.upper}) - ${p.lower}) / ${p.size}) * ${p.size} END`,
};
