// Audit event kinds: one vocabulary for every layer and for the lineage graph built from them.

export const EVENTS = {
  DATASET_LOADED: 'DATASET_LOADED',
  DATASET_IMPORT_REFUSED: 'DATASET_IMPORT_REFUSED',
  TENANT_CREATED: 'TENANT_CREATED',
  TENANT_BUILT: 'TENANT_BUILT',
  TENANT_STATE_CHANGED: 'TENANT_STATE_CHANGED',
  TENANT_PLAN_SET: 'TENANT_PLAN_SET',
  TENANT_GRANTS_CHANGED: 'TENANT_GRANTS_CHANGED',
  TENANT_LEVEL_SET: 'TENANT_LEVEL_SET',
  TENANT_USAGE_SET: 'TENANT_USAGE_SET',
  TENANT_PLACED: 'TENANT_PLACED',
  IMPORT_REQUESTED: 'IMPORT_REQUESTED',
  IMPORT_UPLOADED: 'IMPORT_UPLOADED',
  IMPORT_VOTE: 'IMPORT_VOTE',
  IMPORT_STATE_CHANGED: 'IMPORT_STATE_CHANGED',
  PSI_STARTED: 'PSI_STARTED',
  DP_BUDGET_SET: 'DP_BUDGET_SET',
  DP_RESERVED: 'DP_RESERVED',
  DP_CHARGED: 'DP_CHARGED',
  DP_REFUNDED: 'DP_REFUNDED',
  PSI_STEP: 'PSI_STEP',
  PSI_FINISHED: 'PSI_FINISHED',
  PSI_REFUSED: 'PSI_REFUSED',
  USER_LEVEL_SET: 'USER_LEVEL_SET',
  USER_REGISTERED: 'USER_REGISTERED',
  USER_DISABLED: 'USER_DISABLED',
  USER_ENABLED: 'USER_ENABLED',
  AUTH_REFUSED: 'AUTH_REFUSED',
  ACCESS_DENIED: 'ACCESS_DENIED',
  RISK_STOP_RAISED: 'RISK_STOP_RAISED',
  RISK_STOP_CHANGED: 'RISK_STOP_CHANGED',
  JOB_STARTED: 'JOB_STARTED',
  JOB_FINISHED: 'JOB_FINISHED',
  JOB_CANCEL_REQUESTED: 'JOB_CANCEL_REQUESTED',
  QUERY: 'QUERY',
  OUTPUT_CREATED: 'OUTPUT_CREATED',
  EXPORT_REQUESTED: 'EXPORT_REQUESTED',
  EXPORT_VIEWED: 'EXPORT_VIEWED',
  EXPORT_VOTE: 'EXPORT_VOTE',
  EXPORT_STATE_CHANGED: 'EXPORT_STATE_CHANGED',
  BUNDLE_CREATED: 'BUNDLE_CREATED',
  THRESHOLDS_CHANGED: 'THRESHOLDS_CHANGED',
  EXPORT_REVISED: 'EXPORT_REVISED',
  BUNDLE_DOWNLOADED: 'BUNDLE_DOWNLOADED',
  LOG_VERIFIED: 'LOG_VERIFIED',
  AUDIT_PURGED: 'AUDIT_PURGED',
  SIGN_IN: 'SIGN_IN',
  REPLAY: 'REPLAY',
  PRODUCT_PROPOSED: 'PRODUCT_PROPOSED',
  PRODUCT_VOTE: 'PRODUCT_VOTE',
  PRODUCT_STATE_CHANGED: 'PRODUCT_STATE_CHANGED',
  CONSUMER_REGISTERED: 'CONSUMER_REGISTERED',
  CONSUMER_REVOKED: 'CONSUMER_REVOKED',
  API_KEY_ISSUED: 'API_KEY_ISSUED',
  API_KEY_REVOKED: 'API_KEY_REVOKED',
  PRODUCT_GRANTED: 'PRODUCT_GRANTED',
  PRODUCT_GRANT_REVOKED: 'PRODUCT_GRANT_REVOKED',
  PRODUCT_CALL: 'PRODUCT_CALL',
  GOVERNANCE_REPORTED: 'GOVERNANCE_REPORTED',
  GOVERNANCE_CHANGED: 'GOVERNANCE_CHANGED',
  DRILL_RECORDED: 'DRILL_RECORDED',
  TRAINING_RECORDED: 'TRAINING_RECORDED',
  TRAINING_POLICY_SET: 'TRAINING_POLICY_SET',
  DEMAND_FILED: 'DEMAND_FILED',
  DEMAND_ITEM_DECIDED: 'DEMAND_ITEM_DECIDED',
  DEMAND_CHANGED: 'DEMAND_CHANGED',
  REPORT_GENERATED: 'REPORT_GENERATED',
  EVALUATION_RECORDED: 'EVALUATION_RECORDED',
} as const;

export type EventKind = (typeof EVENTS)[keyof typeof EVENTS];

/** A column a query read, by the role it plays in the result (DuckDB's lineage, sandbox/). */
interface LineageItem {
  readonly table: string;
  readonly column: string;
  readonly subtype: string;
}

/**
 * The payloads of the kinds the lineage graph, replay and the yearly report read: one type that
 * the writers are checked against and the readers read through. Other kinds carry a plain record
 * until a reader needs their fields. Entries already in a log were written by earlier releases,
 * so a reader takes each field as possibly missing (`AuditPayload<K>` is partial).
 */
export interface AuditPayloads {
  DATASET_LOADED: { dataset: string; version: number; contentHash: string; rows: number; source: unknown };
  TENANT_BUILT: {
    buildId: string;
    policyHash: string;
    datasets: readonly { dataset: string; version: number; contentHash: string }[];
    rows: Readonly<Record<string, { prod: number; dev: number }>>;
    at: string;
  };
  TENANT_PLACED: { node: string; from: string | null; files: Readonly<Record<string, string>> };
  JOB_STARTED: { env: string; scriptHash: string; paramsHash: string; buildId: string | null; limits: unknown; manifest?: unknown };
  QUERY: {
    env: string;
    buildId: string | null;
    sqlHash: string;
    verdict: string;
    code?: string | undefined;
    reason?: string | undefined;
    tables: readonly string[];
    columns: readonly string[];
    rowCount?: number | undefined;
    resultHash?: string | undefined;
    resultColumns?: readonly string[] | undefined;
    lineage?: { fields?: Readonly<Record<string, readonly LineageItem[]>>; dataset?: readonly LineageItem[] } | undefined;
    params?: readonly (string | number | boolean | null)[] | undefined;
  };
  JOB_FINISHED: { state: string; code?: string | undefined; stats?: unknown };
  OUTPUT_CREATED: { name: string; rowCount: number; hash: string; columns: readonly string[] };
  EXPORT_REQUESTED: {
    jobId: string;
    output: string;
    outputHash: string;
    scenario: string;
    purpose: string | null;
    verdict: string;
    state: string;
    rules: unknown;
    requiredApprovals: number;
    argued: boolean;
    fix?: unknown;
  };
  EXPORT_VOTE: { decision: string; approvals: number; required: number };
  EXPORT_STATE_CHANGED: { from: string; to: string; action: string; [extra: string]: unknown };
  BUNDLE_CREATED: { bundleId: string; manifestSha256: string; scenario: string; approvers: readonly string[] };
  BUNDLE_DOWNLOADED: { bundleId: string };
  REPLAY: { result: string; reason?: string | undefined; outputs?: unknown };
  PRODUCT_PROPOSED: {
    product: string;
    version: number;
    hash: string;
    scenario: string;
    tables: readonly string[];
    buildId: string | null;
    verdict: string;
    requiredApprovals: number;
  };
  PRODUCT_VOTE: { product: string; version: number; hash: string; decision: string; approvals: number; required: number };
  PRODUCT_STATE_CHANGED: { product: string; version: number; hash: string; from: string; to: string; action: string; [extra: string]: unknown };
  PRODUCT_GRANTED: { grant: string; consumer: string; product: string; version: number; scenario: string; validUntil: string; [quota: string]: unknown };
  PRODUCT_CALL: {
    op: 'call' | 'list' | 'openapi';
    consumer?: string;
    product?: string;
    version?: number;
    paramsHash?: string;
    rows?: number;
    suppressed?: number;
    callId: string;
    status: number;
    code?: string;
    responseHash?: string;
    [more: string]: unknown;
  };
  USER_DISABLED: { reason: string | null };
  USER_ENABLED: { reason: string | null };
}

export type TypedKind = keyof AuditPayloads;
/** What a reader may find in a stored entry of kind K. */
export type AuditPayload<K extends TypedKind> = Partial<AuditPayloads[K]>;

/** An event as a writer hands it to the log: a typed kind's payload is checked against its type. */
export type AuditEventOf<K extends string> = {
  readonly kind: K;
  readonly actor: string;
  readonly tenant?: string | null;
  /** The main object the event is about (job id, request id, tenant id …). */
  readonly subject?: string | null;
  /** Hashes and identifiers, never data values. */
  readonly data?: K extends TypedKind ? AuditPayloads[K] : Readonly<Record<string, unknown>>;
};

/** Reads a stored entry's payload as its kind's type (fields may be missing in entries of earlier releases). */
export function payloadOf<K extends TypedKind>(_kind: K, data: Readonly<Record<string, unknown>>): AuditPayload<K> {
  return data as AuditPayload<K>;
}
