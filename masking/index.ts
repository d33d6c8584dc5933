// masking/: operators, policies compiled to DuckDB SQL, per-tenant keys, masked builds
// and the leak check.
export type { MaskOperator, SqlContext } from './operator.ts';
export { OPERATORS, hmacSql, TOKEN_HEX_LENGTH } from './operators/index.ts';
export {
  baseUsage,
  resolvePolicy,
  validateRule,
  operatorFor,
  compileDataset,
  policyHash,
  quoteIdent,
  type Grant,
  type MaskOverrides,
  type UsageOverrides,
  type TenantPolicy,
  type DatasetPolicy,
  type FieldPolicy,
} from './policy.ts';
export { buildTenantFiles, type BuildOptions, type BuildResult } from './build.ts';
export { findLeaks, rangeLeaks, type Leak } from './leakCheck.ts';
export { ensureTenantKey, readTenantKey, destroyTenantKey, scopeKeyHex } from './keys.ts';
