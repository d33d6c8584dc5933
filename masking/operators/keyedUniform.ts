// A keyed uniform in [0, 1) computed in DuckDB: the first 52 bits of sha256(key ‖ label ‖ value).
// Without the tenant's key the value cannot be predicted; with it, it is reproducible.
import { sqlLiteral } from '../params.ts';

export function keyedUniformSql(keyHex: string, label: string, valueExpr: string): string {
  return `(CAST(('0x' || left(sha256(${sqlLiteral(`${keyHex}:${label}:`)} || coalesce(CAST(${valueExpr} AS VARCHAR), '')), 13)) AS BIGINT) / 4503599627370496.0)`;
}
