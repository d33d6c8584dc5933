// The control-plane schema (authorizations, people, jobs, outputs, export queue, audit log).
// Kept as plain SQL so a PostgreSQL implementation of the store can follow it closely.

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (
  name TEXT PRIMARY KEY, role TEXT NOT NULL, tenant TEXT, display TEXT NOT NULL,
  verified INTEGER NOT NULL DEFAULT 0, agreement_until TEXT, created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS dataset_versions (
  dataset TEXT NOT NULL, version INTEGER NOT NULL, content_hash TEXT NOT NULL, rows INTEGER NOT NULL,
  loaded_at TEXT NOT NULL, PRIMARY KEY (dataset, version)
);
CREATE TABLE IF NOT EXISTS tenants (
  id TEXT PRIMARY KEY, org TEXT NOT NULL, state TEXT NOT NULL, scenarios TEXT NOT NULL, grants TEXT NOT NULL,
  term_end TEXT NOT NULL, limits TEXT NOT NULL, build TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS scripts (hash TEXT PRIMARY KEY, body TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY, tenant TEXT NOT NULL, env TEXT NOT NULL, user TEXT NOT NULL, script_hash TEXT NOT NULL,
  params TEXT NOT NULL, state TEXT NOT NULL, error_code TEXT, build_id TEXT, created_at TEXT NOT NULL, finished_at TEXT,
  host_pid INTEGER, worker_pid INTEGER, cancel_requested INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS jobs_tenant ON jobs (tenant, created_at);
CREATE TABLE IF NOT EXISTS outputs (
  job_id TEXT NOT NULL, name TEXT NOT NULL, columns TEXT NOT NULL, row_count INTEGER NOT NULL, hash TEXT NOT NULL,
  path TEXT NOT NULL, PRIMARY KEY (job_id, name)
);
CREATE TABLE IF NOT EXISTS export_requests (
  id TEXT PRIMARY KEY, tenant TEXT NOT NULL, job_id TEXT NOT NULL, output TEXT NOT NULL, scenario TEXT NOT NULL,
  requester TEXT NOT NULL, state TEXT NOT NULL, verdict TEXT NOT NULL, report TEXT NOT NULL,
  required_approvals INTEGER NOT NULL, bundle_path TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS votes (
  request_id TEXT NOT NULL, reviewer TEXT NOT NULL, decision TEXT NOT NULL, comment TEXT, at TEXT NOT NULL,
  PRIMARY KEY (request_id, reviewer)
);
CREATE TABLE IF NOT EXISTS release_cells (
  request_id TEXT NOT NULL, tables TEXT NOT NULL, measure TEXT NOT NULL, key TEXT NOT NULL, value REAL NOT NULL, released_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS release_cells_measure ON release_cells (measure, tables);
CREATE INDEX IF NOT EXISTS release_cells_group ON release_cells (measure, key);
CREATE TABLE IF NOT EXISTS risk_stops (
  id TEXT PRIMARY KEY, tenant TEXT NOT NULL, state TEXT NOT NULL, reason TEXT NOT NULL, raised_by TEXT NOT NULL,
  raised_at TEXT NOT NULL, resolution TEXT, decided_by TEXT, decided_at TEXT, stopped_jobs TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS risk_stops_tenant ON risk_stops (tenant, state);
CREATE TABLE IF NOT EXISTS export_checks (tenant TEXT NOT NULL, at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS export_checks_tenant ON export_checks (tenant, at);
CREATE TABLE IF NOT EXISTS audit (
  seq INTEGER PRIMARY KEY, at TEXT NOT NULL, kind TEXT NOT NULL, actor TEXT NOT NULL, tenant TEXT,
  subject TEXT, body TEXT NOT NULL, leaf_hash BLOB NOT NULL, chain_hash BLOB NOT NULL, purged_at TEXT
);
CREATE INDEX IF NOT EXISTS audit_subject ON audit (subject);
CREATE INDEX IF NOT EXISTS audit_tenant ON audit (tenant, seq);
CREATE INDEX IF NOT EXISTS audit_kind ON audit (kind, seq);
-- The domain's risk watch and the yearly report count one authorization's entries of a kind over a time window.
CREATE INDEX IF NOT EXISTS audit_tenant_kind ON audit (tenant, kind, at);
CREATE TABLE IF NOT EXISTS product_versions (
  product TEXT NOT NULL, version INTEGER NOT NULL, hash TEXT NOT NULL UNIQUE, tenant TEXT NOT NULL, scenario TEXT NOT NULL,
  spec TEXT NOT NULL, state TEXT NOT NULL, proposer TEXT NOT NULL, required_approvals INTEGER NOT NULL, report TEXT NOT NULL,
  tables TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (product, version)
);
CREATE TABLE IF NOT EXISTS product_votes (
  product TEXT NOT NULL, version INTEGER NOT NULL, reviewer TEXT NOT NULL, decision TEXT NOT NULL, comment TEXT, at TEXT NOT NULL,
  PRIMARY KEY (product, version, reviewer)
);
CREATE TABLE IF NOT EXISTS consumers (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, contact TEXT NOT NULL, state TEXT NOT NULL, created_by TEXT NOT NULL, created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS api_keys (
  id TEXT PRIMARY KEY, consumer TEXT NOT NULL, secret_hash TEXT NOT NULL, created_by TEXT NOT NULL, created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL, revoked_at TEXT
);
CREATE TABLE IF NOT EXISTS product_grants (
  id TEXT PRIMARY KEY, consumer TEXT NOT NULL, product TEXT NOT NULL, version INTEGER NOT NULL, scenario TEXT NOT NULL,
  valid_until TEXT NOT NULL, per_minute INTEGER NOT NULL, per_day INTEGER NOT NULL, rows_per_day INTEGER NOT NULL,
  created_by TEXT NOT NULL, created_at TEXT NOT NULL, revoked_at TEXT
);
CREATE INDEX IF NOT EXISTS product_grants_consumer ON product_grants (consumer, product, version);
CREATE TABLE IF NOT EXISTS product_usage (
  grant_id TEXT NOT NULL, period TEXT NOT NULL, calls INTEGER NOT NULL, row_count INTEGER NOT NULL, PRIMARY KEY (grant_id, period)
);
CREATE TABLE IF NOT EXISTS product_ledger (
  consumer TEXT NOT NULL, measure TEXT NOT NULL, key TEXT NOT NULL, tables TEXT NOT NULL, units REAL NOT NULL, fingerprint TEXT NOT NULL,
  tenant TEXT NOT NULL, call_id TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (consumer, measure, key, units, fingerprint)
);
CREATE TABLE IF NOT EXISTS product_calls (
  call_id TEXT PRIMARY KEY, consumer TEXT NOT NULL, product TEXT NOT NULL, version INTEGER NOT NULL, params TEXT NOT NULL, at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS product_ledger_call ON product_ledger (consumer, call_id);
CREATE TABLE IF NOT EXISTS governance_requests (
  id TEXT PRIMARY KEY, tenant TEXT NOT NULL, reporter TEXT NOT NULL, dataset TEXT NOT NULL, field TEXT, problem TEXT NOT NULL,
  evidence TEXT, state TEXT NOT NULL, department TEXT, deadline TEXT, assigned_by TEXT, resolution TEXT, fixed_version INTEGER,
  decided_by TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS governance_tenant ON governance_requests (tenant, state);
CREATE TABLE IF NOT EXISTS drills (
  id TEXT PRIMARY KEY, tenant TEXT NOT NULL, held_on TEXT NOT NULL, scenario TEXT NOT NULL, participants TEXT NOT NULL,
  findings TEXT NOT NULL, recorded_by TEXT NOT NULL, recorded_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS drills_tenant ON drills (tenant, held_on);
CREATE TABLE IF NOT EXISTS trainings (
  id TEXT PRIMARY KEY, person TEXT NOT NULL, course TEXT NOT NULL, taken_on TEXT NOT NULL, expires_on TEXT NOT NULL,
  recorded_by TEXT NOT NULL, recorded_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS trainings_person ON trainings (person, expires_on);
CREATE TABLE IF NOT EXISTS demand_lists (
  id TEXT PRIMARY KEY, tenant TEXT NOT NULL, filed_by TEXT NOT NULL, state TEXT NOT NULL, items TEXT NOT NULL,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL, applied_by TEXT
);
CREATE INDEX IF NOT EXISTS demand_tenant ON demand_lists (tenant, state);
CREATE TABLE IF NOT EXISTS yearly_reports (
  tenant TEXT NOT NULL, year INTEGER NOT NULL, market TEXT, html_sha256 TEXT, pdf_sha256 TEXT, jws TEXT, path TEXT,
  generated_by TEXT, generated_at TEXT, PRIMARY KEY (tenant, year)
);
CREATE TABLE IF NOT EXISTS evaluations (
  tenant TEXT NOT NULL, year INTEGER NOT NULL, org TEXT NOT NULL, score REAL NOT NULL, criteria TEXT NOT NULL,
  reviewer_input TEXT NOT NULL, evaluated_by TEXT NOT NULL, evaluated_at TEXT NOT NULL, PRIMARY KEY (tenant, year)
);
CREATE TABLE IF NOT EXISTS imports (
  id TEXT PRIMARY KEY, tenant TEXT NOT NULL, dataset TEXT NOT NULL, declaration TEXT NOT NULL, spec TEXT NOT NULL,
  scenario TEXT NOT NULL, justification TEXT NOT NULL, state TEXT NOT NULL, filed_by TEXT NOT NULL, file_sha256 TEXT,
  file_ext TEXT, profile TEXT, error TEXT, loaded TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS imports_tenant ON imports (tenant, state);
CREATE INDEX IF NOT EXISTS imports_dataset ON imports (dataset, state);
CREATE TABLE IF NOT EXISTS import_votes (
  import_id TEXT NOT NULL, voter TEXT NOT NULL, decision TEXT NOT NULL, comment TEXT, at TEXT NOT NULL, PRIMARY KEY (import_id, voter)
);
CREATE TABLE IF NOT EXISTS psi_sessions (
  id TEXT PRIMARY KEY, tenant TEXT NOT NULL, user TEXT NOT NULL, name TEXT NOT NULL, against TEXT NOT NULL, state TEXT NOT NULL,
  mac_key TEXT, scalar TEXT, reveal_size INTEGER NOT NULL, client_cap INTEGER NOT NULL, client_size INTEGER, domain_size INTEGER, domain_digest TEXT,
  matched INTEGER, dataset TEXT, error TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS psi_tenant ON psi_sessions (tenant, created_at);
CREATE TABLE IF NOT EXISTS dp_budgets (
  tenant TEXT NOT NULL, dataset TEXT NOT NULL, epsilon_total INTEGER NOT NULL, delta_total INTEGER NOT NULL,
  epsilon_spent INTEGER NOT NULL, delta_spent INTEGER NOT NULL, per_query INTEGER NOT NULL, set_by TEXT NOT NULL, set_at TEXT NOT NULL,
  PRIMARY KEY (tenant, dataset)
);
CREATE TABLE IF NOT EXISTS dp_charges (
  id TEXT PRIMARY KEY, tenant TEXT NOT NULL, dataset TEXT NOT NULL, job_id TEXT NOT NULL, epsilon INTEGER NOT NULL, delta INTEGER NOT NULL,
  mechanism TEXT NOT NULL, state TEXT NOT NULL, release TEXT, at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS dp_charges_job ON dp_charges (job_id, state);
CREATE TABLE IF NOT EXISTS checkpoints (size INTEGER PRIMARY KEY, root BLOB NOT NULL, jws TEXT NOT NULL, at TEXT NOT NULL, note TEXT);
`;

/** Columns added after version 1: [table, column, definition]. Applied when missing. */
export const ADDED_COLUMNS: readonly (readonly [string, string, string])[] = [
  ['jobs', 'host_pid', 'INTEGER'],
  ['jobs', 'worker_pid', 'INTEGER'],
  ['jobs', 'cancel_requested', 'INTEGER NOT NULL DEFAULT 0'],
  ['checkpoints', 'note', 'TEXT'],
  ['audit', 'purged_at', 'TEXT'],
  ['export_requests', 'fix', 'TEXT'],
  ['export_requests', 'output_hash', 'TEXT'],
  ['export_requests', 'ledger', 'TEXT'],
  ['tenants', 'justification', 'TEXT'],
  ['tenants', 'emergency_plan', 'TEXT'],
  ['export_requests', 'details', 'TEXT'],
  ['export_requests', 'argument', 'TEXT'],
  ['release_cells', 'fingerprint', 'TEXT'],
  ['release_cells', 'tenant', 'TEXT'],
  ['jobs', 'manifest', 'TEXT'],
  ['tenants', 'level', "TEXT NOT NULL DEFAULT 'province'"],
  ['users', 'level', "TEXT NOT NULL DEFAULT 'province'"],
  // Schema 10: a job keeps its error's message (shown in dev and to the authority, never to the operator of a prod job).
  ['jobs', 'error_message', 'TEXT'],
  // Schema 11: an administrator disables a person (left, moved, suspected) with a reason; their tokens stop at once.
  ['users', 'disabled_at', 'TEXT'],
  ['users', 'disabled_reason', 'TEXT'],
  // Schema 11: what the requester says an export is for.
  ['export_requests', 'purpose', 'TEXT'],
];
