// The one registry of error codes. Codes are stable: users and scripts match on them.
// docs/errors.md documents every code here, and errors/registry.test.ts checks both ways.

export type ErrorClass = 'input' | 'auth' | 'state' | 'sql' | 'sandbox' | 'masking' | 'export' | 'audit' | 'internal';

export interface ErrorSpec {
  readonly status: number;
  readonly class: ErrorClass;
  readonly title: string;
}

export const ERRORS = {
  BAD_REQUEST: { status: 400, class: 'input', title: 'The request is malformed or a parameter is invalid' },
  NOT_FOUND: { status: 404, class: 'input', title: 'No such route' },
  RATE_LIMITED: { status: 429, class: 'input', title: 'Too many requests; slow down' },
  AUTH_LOGIN_FAILED: { status: 401, class: 'auth', title: 'The identity provider did not sign you in' },
  AUTH_REQUIRED: { status: 401, class: 'auth', title: 'A bearer token (or --as with the dev issuer) is required' },
  AUTH_INVALID_TOKEN: { status: 401, class: 'auth', title: 'The token failed verification' },
  AUTH_TOKEN_EXPIRED: { status: 401, class: 'auth', title: 'The token has expired; sign in again' },
  AUTH_UNKNOWN_USER: { status: 401, class: 'auth', title: 'The token names a user who is not registered in this domain' },
  AUTH_DEV_ISSUER_DISABLED: { status: 403, class: 'auth', title: 'The built-in dev issuer is disabled in this domain' },
  FORBIDDEN_ROLE: { status: 403, class: 'auth', title: 'Your role may not perform this action' },
  FORBIDDEN_TENANT: { status: 403, class: 'auth', title: 'This authorization is outside your scope' },
  TENANT_NOT_FOUND: { status: 404, class: 'state', title: 'No such authorization (tenant)' },
  TENANT_EXISTS: { status: 409, class: 'state', title: 'An authorization with this id already exists' },
  TENANT_NOT_ACTIVE: { status: 409, class: 'state', title: 'The authorization is not active; operator calls are refused' },
  TENANT_TRANSITION: { status: 409, class: 'state', title: 'That lifecycle change is not allowed from the current state' },
  DATASET_NOT_FOUND: { status: 404, class: 'input', title: 'No such dataset in the catalog' },
  CATALOG_INVALID: { status: 400, class: 'input', title: 'A catalog entry does not match the catalog schema' },
  IMPORT_INVALID: { status: 400, class: 'input', title: 'The file does not fit its catalog entry; nothing was loaded' },
  DATASET_NOT_GRANTABLE: { status: 403, class: 'input', title: 'Core-graded or prohibited data can never be granted' },
  SAMPLE_DATA_MISSING: { status: 409, class: 'state', title: 'The raw store has no data; run `opdomain datasets generate` first' },
  MASK_UNKNOWN_OPERATOR: { status: 400, class: 'masking', title: 'Unknown masking operator' },
  MASK_BAD_PARAMS: { status: 400, class: 'masking', title: 'Invalid parameters for a masking operator' },
  MASK_WRONG_TYPE: { status: 400, class: 'masking', title: 'The masking operator does not apply to this field type' },
  MASK_TOO_WEAK: { status: 400, class: 'masking', title: 'This operator is too weak for a direct identifier or sensitive personal field' },
  MASK_LEAK_DETECTED: { status: 500, class: 'masking', title: 'The leak check found raw identifier values in a masked build; the build was discarded' },
  SQL_PARSE_ERROR: { status: 400, class: 'sql', title: 'The query could not be parsed' },
  SQL_MULTIPLE_STATEMENTS: { status: 400, class: 'sql', title: 'Exactly one statement is allowed' },
  SQL_NOT_SELECT: { status: 400, class: 'sql', title: 'Only SELECT / WITH queries are allowed' },
  SQL_TABLE_NOT_ALLOWED: { status: 403, class: 'sql', title: 'The query reads a table outside the authorization' },
  SQL_FUNCTION_NOT_ALLOWED: { status: 403, class: 'sql', title: 'The query calls a function that is not on the allowlist' },
  SQL_CONSTRUCT_NOT_ALLOWED: { status: 403, class: 'sql', title: 'The query uses a construct that is not allowed' },
  SQL_PARSERS_DISAGREE: { status: 403, class: 'sql', title: 'The two SQL parsers read the query differently; refused' },
  SQL_PARAMS_INVALID: { status: 400, class: 'sql', title: 'Query parameters must be an array of strings, numbers, booleans or nulls' },
  SQL_EXECUTION_ERROR: { status: 400, class: 'sql', title: 'The query failed while running' },
  SANDBOX_SYNTAX_ERROR: { status: 400, class: 'sandbox', title: 'The script does not compile' },
  SANDBOX_SCRIPT_ERROR: { status: 400, class: 'sandbox', title: 'The script threw an error' },
  SANDBOX_TIMEOUT: { status: 408, class: 'sandbox', title: 'The job exceeded its wall-clock limit' },
  SANDBOX_CPU_LIMIT: { status: 408, class: 'sandbox', title: 'The script exceeded its CPU-time limit' },
  SANDBOX_MEMORY_LIMIT: { status: 413, class: 'sandbox', title: 'The script exceeded its isolate memory limit' },
  SANDBOX_WORKER_MEMORY: { status: 413, class: 'sandbox', title: 'The job worker exceeded its memory cap and was killed' },
  SANDBOX_WORKER_CRASHED: { status: 500, class: 'sandbox', title: 'The job worker died unexpectedly' },
  SANDBOX_SQL_CALL_LIMIT: { status: 429, class: 'sandbox', title: 'The script made too many sql() calls' },
  SANDBOX_RESULT_TOO_LARGE: { status: 413, class: 'sandbox', title: 'A query result exceeded the row or byte cap' },
  SANDBOX_OUTPUT_INVALID: { status: 400, class: 'sandbox', title: 'output() was called with an invalid name or shape' },
  SANDBOX_OUTPUT_TOO_LARGE: { status: 413, class: 'sandbox', title: 'The outputs exceeded the output size cap' },
  SANDBOX_OUTPUT_UNDECLARED: { status: 400, class: 'sandbox', title: 'An output does not match the job\'s manifest of declared outputs' },
  JOB_FAILED_LIMIT: { status: 422, class: 'sandbox', title: 'The prod job reached one of its limits' },
  JOB_FAILED_SCRIPT: { status: 422, class: 'sandbox', title: 'The prod job\'s script failed (or wrote an output that does not match its manifest)' },
  JOB_FAILED_QUERY: { status: 422, class: 'sandbox', title: 'A query of the prod job was refused or failed' },
  EXPORT_CHECK_QUOTA: { status: 429, class: 'input', title: 'The authorization has used its export checks for the last 24 hours' },
  RISK_STOP_ACTIVE: { status: 409, class: 'state', title: 'A risk stop holds processing in this authorization until the authority resolves it' },
  RISK_STOP_NOT_FOUND: { status: 404, class: 'input', title: 'No such risk stop' },
  RISK_STOP_TRANSITION: { status: 409, class: 'state', title: 'That step is not allowed for the risk stop in its current state' },
  SERVE_ADDRESS_IN_USE: { status: 409, class: 'state', title: 'The gateway\'s address is already in use (another gateway may be serving this home)' },
  PROD_JOB_QUOTA: { status: 429, class: 'input', title: 'The authorization has used its prod jobs for the last 24 hours' },
  SANDBOX_LOG_LIMIT: { status: 413, class: 'sandbox', title: 'The script logged more than the log cap' },
  JOB_NOT_FOUND: { status: 404, class: 'input', title: 'No such job' },
  JOB_CANCELLED: { status: 409, class: 'sandbox', title: 'The job was cancelled' },
  JOB_NOT_RUNNING: { status: 409, class: 'state', title: 'The job is not running' },
  OUTPUT_NOT_FOUND: { status: 404, class: 'input', title: 'The job has no output with that name' },
  EXPORT_NOT_FOUND: { status: 404, class: 'input', title: 'No such export request' },
  EXPORT_FROM_DEV: { status: 409, class: 'export', title: 'Only outputs of prod jobs can be exported' },
  EXPORT_SCENARIO_NOT_GRANTED: { status: 403, class: 'export', title: 'The scenario is not one of the authorization\'s scenarios' },
  EXPORT_BLOCKED: { status: 409, class: 'export', title: 'The automatic check blocked this export' },
  EXPORT_SELF_APPROVAL: { status: 403, class: 'export', title: 'Nobody may approve their own export request' },
  EXPORT_ALREADY_VOTED: { status: 409, class: 'export', title: 'You have already voted on this request' },
  EXPORT_TRANSITION: { status: 409, class: 'export', title: 'That action is not allowed in the request\'s current state' },
  EXPORT_REVOKED: { status: 410, class: 'export', title: 'The bundle was revoked and is no longer served' },
  USER_NOT_FOUND: { status: 404, class: 'input', title: 'No such user' },
  TENANT_FIELD_UNJUSTIFIED: { status: 422, class: 'input', title: 'A granted field is not justified by a scenario of the authorization (minimum necessary)' },
  TENANT_NO_EMERGENCY_PLAN: { status: 409, class: 'state', title: 'The authorization has no emergency plan and cannot be activated' },
  THRESHOLD_BELOW_FLOOR: { status: 422, class: 'input', title: 'A disclosure threshold is weaker than the floor the administrator set' },
  EXPORT_BUNDLE_INVALID: { status: 400, class: 'export', title: 'The bundle failed verification' },
  AUDIT_PURGE_REFUSED: { status: 409, class: 'audit', title: 'Audit entries younger than the retention period (180 days) cannot be purged' },
  AUDIT_WRITE_FAILED: { status: 503, class: 'audit', title: 'The audit log could not be written; the action was not performed' },
  LINEAGE_NODE_NOT_FOUND: { status: 404, class: 'audit', title: 'No lineage node with that id' },
  INTERNAL: { status: 500, class: 'internal', title: 'Internal error' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERRORS, value);
}
