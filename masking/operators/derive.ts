// derive(parts): from a resident ID number keep only what an analysis needs — birth year,
// sex, city or province — after checking its check character; the number itself is dropped.
// Invalid numbers yield NULLs. Each part becomes its own column, <field>_<part>.
import { OpError } from '../../errors/index.ts';
import { residentIdCheckSql } from '../../datasets/index.ts';
import type { MaskOperator } from '../operator.ts';
import { asParams } from '../params.ts';

const PARTS = ['birth_year', 'sex', 'city', 'province'] as const;
type Part = (typeof PARTS)[number];

export const derive: MaskOperator<{ parts: Part[] }> = {
  name: 'derive',
  reversible: false,
  strength: 3,
  types: ['VARCHAR'],
  validate(params) {
    const p = asParams('derive', params, ['parts']);
    const parts = p.parts;
    if (!Array.isArray(parts) || parts.length === 0 || parts.some((x) => !(PARTS as readonly unknown[]).includes(x)) || new Set(parts).size !== parts.length) {
      throw new OpError('MASK_BAD_PARAMS', `derive: "parts" must be a non-empty list of ${PARTS.join(', ')}`);
    }
    return { parts: parts as Part[] };
  },
  toSql: () => {
    throw new OpError('INTERNAL', 'derive produces several columns: use toColumns');
  },
  toColumns(column, p, field) {
    const valid = `(regexp_full_match(${column}, '[1-9][0-9]{16}[0-9X]') AND ${residentIdCheckSql(column)} = substr(${column}, 18, 1) AND try_strptime(substr(${column}, 7, 8), '%Y%m%d') IS NOT NULL)`;
    const exprs: Record<Part, string> = {
      birth_year: `CAST(substr(${column}, 7, 4) AS INTEGER)`,
      sex: `CASE WHEN CAST(substr(${column}, 17, 1) AS INTEGER) % 2 = 1 THEN '男' ELSE '女' END`,
      city: `substr(${column}, 1, 4) || '00'`,
      province: `substr(${column}, 1, 2) || '0000'`,
    };
    return p.parts.map((part) => ({ name: `${field.name}_${part}`, expr: `CASE WHEN ${column} IS NOT NULL AND ${valid} THEN ${exprs[part]} END` }));
  },
};
