// token(scope): HMAC-SHA256 pseudonym, computed inside DuckDB. The key is per tenant and
// per scope, so tokens join across datasets within one tenant and never across tenants.
import { OpError } from '../../errors/index.ts';
import type { MaskOperator } from '../operator.ts';
import { asParams } from '../params.ts';

export const TOKEN_HEX_LENGTH = 32;

export function hmacSql(valueExpr: string, keyHex: string): string {
  const key = Buffer.from(keyHex, 'hex');
  if (key.length !== 32) throw new OpError('INTERNAL', 'token key must be 32 bytes');
  const block = Buffer.alloc(64);
  key.copy(block);
  const ipad = Buffer.from(block.map((b) => b ^ 0x36)).toString('hex');
  const opad = Buffer.from(block.map((b) => b ^ 0x5c)).toString('hex');
  // encode() gives the UTF-8 bytes; a VARCHAR→BLOB cast would interpret \x escapes instead.
  return `sha256(unhex('${opad}') || unhex(sha256(unhex('${ipad}') || encode(${valueExpr}))))`;
}

export const token: MaskOperator<{ scope: string }> = {
  name: 'token',
  // One-way without the key; still a stable pseudonym, so the export gate refuses token values.
  reversible: false,
  strength: 3,
  types: ['VARCHAR', 'INTEGER', 'BIGINT'],
  validate(params) {
    const p = asParams('token', params, ['scope']);
    if (typeof p.scope !== 'string' || !/^[a-z][a-z0-9_]{0,31}$/.test(p.scope)) {
      throw new OpError('MASK_BAD_PARAMS', 'token: "scope" must be a lower-case identifier (e.g. person, enterprise)');
    }
    return { scope: p.scope };
  },
  toSql: (column, p, _field, ctx) =>
    `CASE WHEN ${column} IS NULL THEN NULL ELSE left(${hmacSql(`CAST(${column} AS VARCHAR)`, ctx.scopeKeyHex(p.scope))}, ${TOKEN_HEX_LENGTH}) END`,
};
