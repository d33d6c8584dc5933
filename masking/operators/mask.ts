// mask(keepFirst, keepLast, char) with presets: name (张**), mobile (138****5678), id_card,
// credit_code, bank_card, address (keeps province and city). Short values are masked whole.
import { OpError } from '../../errors/index.ts';
import type { MaskOperator } from '../operator.ts';
import { asParams, enumParam, intParam, sqlLiteral } from '../params.ts';

const PRESETS = {
  name: { keepFirst: 1, keepLast: 0 },
  mobile: { keepFirst: 3, keepLast: 4 },
  id_card: { keepFirst: 3, keepLast: 2 },
  credit_code: { keepFirst: 2, keepLast: 2 },
  bank_card: { keepFirst: 6, keepLast: 4 },
} as const;
type Preset = keyof typeof PRESETS | 'address';
const PRESET_NAMES: readonly Preset[] = [...(Object.keys(PRESETS) as (keyof typeof PRESETS)[]), 'address'];

export interface MaskParams {
  readonly preset?: Preset;
  readonly keepFirst: number;
  readonly keepLast: number;
  readonly char: string;
}

export const mask: MaskOperator<MaskParams> = {
  name: 'mask',
  reversible: false,
  strength: 2,
  types: ['VARCHAR'],
  validate(params) {
    const p = asParams('mask', params, ['preset', 'keepFirst', 'keepLast', 'char']);
    const char = p.char ?? '*';
    if (typeof char !== 'string' || [...char].length !== 1) throw new OpError('MASK_BAD_PARAMS', 'mask: "char" must be one character');
    if (p.preset !== undefined) {
      const preset = enumParam('mask', p, 'preset', PRESET_NAMES);
      if (p.keepFirst !== undefined || p.keepLast !== undefined) throw new OpError('MASK_BAD_PARAMS', 'mask: give a preset or keepFirst/keepLast, not both');
      const k = preset === 'address' ? { keepFirst: 0, keepLast: 0 } : PRESETS[preset];
      return { preset, ...k, char };
    }
    return { keepFirst: intParam('mask', p, 'keepFirst', 0, 0, 32), keepLast: intParam('mask', p, 'keepLast', 0, 0, 32), char };
  },
  toSql(column, p) {
    const c = sqlLiteral(p.char);
    if (p.preset === 'address') {
      // Province and city survive; everything below the city is masked.
      // String search instead of a regular expression: this runs once per row of large tables.
      return (
        `CASE WHEN ${column} IS NULL THEN NULL WHEN strpos(${column}, '市') > 0 THEN left(${column}, strpos(${column}, '市')) || repeat(${c}, 4) ` +
        `WHEN strpos(${column}, '省') > 0 THEN left(${column}, strpos(${column}, '省')) || repeat(${c}, 4) ELSE repeat(${c}, 4) END`
      );
    }
    const { keepFirst: kf, keepLast: kl } = p;
    return (
      `CASE WHEN ${column} IS NULL THEN NULL WHEN length(${column}) <= ${kf + kl} THEN repeat(${c}, length(${column})) ` +
      `ELSE left(${column}, ${kf}) || repeat(${c}, length(${column}) - ${kf + kl}) || right(${column}, ${kl}) END`
    );
  },
};
