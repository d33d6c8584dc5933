// The operator registry: name → operator.
import type { MaskOperator } from '../operator.ts';
import { keep } from './keep.ts';
import { drop } from './drop.ts';
import { nullify } from './nullify.ts';
import { replace } from './replace.ts';
import { mask } from './mask.ts';
import { token } from './token.ts';
import { bucket } from './bucket.ts';
import { dateTrunc } from './dateTrunc.ts';
import { region } from './region.ts';
import { dateShift } from './dateShift.ts';
import { noise } from './noise.ts';
import { derive } from './derive.ts';

// biome-ignore lint/suspicious/noExplicitAny: operators differ in their parameter type; each validates its own
export const OPERATORS: ReadonlyMap<string, MaskOperator<any>> = new Map(
  [keep, drop, nullify, replace, mask, token, bucket, dateTrunc, dateShift, region, derive, noise].map((op) => [op.name, op]),
);

export { hmacSql, TOKEN_HEX_LENGTH } from './token.ts';
