// noise(kind, scale, by?): numeric values plus seeded Laplace or Gaussian noise. The noise is
// keyed (tenant key + field + the row's `by` value, default the row itself), so a rebuild from
// the same raw version gives the same masked data and two tenants get different noise. It is
// never seeded by the value alone: equal raw values would get equal noise, which links rows
// across tables and singles out rare values. The result is kept within the field's observed
// range, so a value beyond an edge cannot say that the raw one sat near it.
import { OpError } from '../../errors/index.ts';
import type { MaskOperator } from '../operator.ts';
import { asParams, enumParam, fieldParam, numParam } from '../params.ts';
import { keyedUniformSql } from './keyedUniform.ts';

export const noise: MaskOperator<{ kind: 'laplace' | 'gaussian'; scale: number; by?: string }> = {
  name: 'noise',
  reversible: false,
  strength: 2,
  types: ['DOUBLE', 'INTEGER', 'BIGINT'],
  validate(params) {
    const p = asParams('noise', params, ['kind', 'scale', 'by']);
    const kind = enumParam('noise', p, 'kind', ['laplace', 'gaussian'] as const);
    const scale = numParam('noise', p, 'scale');
    if (!(scale > 0)) throw new OpError('MASK_BAD_PARAMS', 'noise: "scale" must be positive');
    return { kind, scale, ...(p.by !== undefined ? { by: fieldParam('noise', p, 'by') } : {}) };
  },
  toSql: (column, p, field, ctx) => {
    const key = ctx.scopeKeyHex('noise');
    // The row's own identity in the raw table when no entity is named.
    const seed = p.by ? `"${p.by}"` : 'rowid';
    const u1 = keyedUniformSql(key, `${field.name}:1`, seed);
    const draw =
      p.kind === 'laplace'
        ? `(-${p.scale} * sign(${u1} - 0.5) * ln(1 - 2 * abs(${u1} - 0.5) + 1e-12))`
        : `(${p.scale} * sqrt(-2 * ln(greatest(${u1}, 1e-12))) * cos(2 * pi() * ${keyedUniformSql(key, `${field.name}:2`, seed)}))`;
    const out = `least(greatest(${column} + ${draw}, min(${column}) OVER ()), max(${column}) OVER ())`;
    return `CASE WHEN ${column} IS NULL THEN NULL ELSE ${field.type === 'DOUBLE' ? `round(${out}, 2)` : `CAST(round(${out}) AS ${field.type})`} END`;
  },
};
