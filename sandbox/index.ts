// sandbox/: runs operator scripts (isolated-vm in worker processes) against one tenant's
// locked-down DuckDB file, every query through the SQL gate.
export { Supervisor, type RunHooks, type SupervisorOptions } from './supervisor.ts';
export { checkQuery, canQuery, MAX_SQL_LENGTH, type GateResult } from './gate.ts';
export { DEFAULT_LIMITS, resolveLimits, type JobLimits } from './limits.ts';
export { openLockedDown } from './lockdown.ts';
export { openTenantDb, tenantDbKey, type TenantDb } from './tenantDb.ts';
export { OUTPUT_NAME } from './outputs.ts';
export type { BudgetRequest } from './protocol.ts';
export type { DpRelease } from './dp.ts';
export { MAX_DECLARED_OUTPUTS, checkDeclared, parseManifest, type Manifest } from './manifest.ts';
export type { JobError, JobOutput, JobSpec, OutputColumn, QueryEvent, WorkerResult } from './protocol.ts';
export {
  columnLineage,
  hasAggregate,
  COUNT_FUNCTIONS,
  MODEL_FUNCTIONS,
  VALUE_CARRYING_FUNCTIONS,
  type ColumnLineage,
  type InputColumn,
  type ItemLineage,
} from './columnLineage.ts';
export { AGGREGATE_FUNCTIONS } from './functions.ts';
export { rowsOf } from './values.ts';
export { checkUsage, canUsage, resultLevels, type Level, type LevelOf, type ResultLevel } from './usage.ts';
export { readFileSchema, columnFacts, type FileSchema, type ColumnInfo } from './catalogAnswers.ts';
