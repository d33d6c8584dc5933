// Schema versions. Version 11 is the baseline every release up to 2026-12 built additively (the
// tables of schema.ts with ADDED_COLUMNS); each later version is one step here, written for both
// stores, applied in order inside one transaction with the version it reaches. A home made by an
// older release is brought up to date when it is opened; its data and its log are untouched.
import { ADDED_COLUMNS, SCHEMA } from './schema.ts';
import { ddlToPostgres } from './pgDialect.ts';

export interface Migration {
  readonly version: number;
  readonly about: string;
  readonly sqlite: string;
  readonly postgres: string;
}

export const BASELINE_VERSION = 11;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 12,
    about: 'worker nodes, jobs as a queue with leases, tenants placed on nodes',
    sqlite: `
      CREATE TABLE IF NOT EXISTS nodes (
        id TEXT PRIMARY KEY, host TEXT NOT NULL, pid INTEGER NOT NULL, kind TEXT NOT NULL, started_at TEXT NOT NULL,
        heartbeat_at TEXT NOT NULL, lease_until TEXT NOT NULL, stopped_at TEXT
      );
      ALTER TABLE jobs ADD COLUMN node TEXT;
      ALTER TABLE jobs ADD COLUMN lease_until TEXT;
      ALTER TABLE jobs ADD COLUMN request TEXT;
      ALTER TABLE jobs ADD COLUMN result TEXT;
      CREATE INDEX IF NOT EXISTS jobs_queue ON jobs (state, node);
      CREATE TABLE IF NOT EXISTS placements (tenant TEXT PRIMARY KEY, node TEXT NOT NULL, files TEXT, placed_by TEXT NOT NULL, placed_at TEXT NOT NULL);
    `,
    postgres: `
      CREATE TABLE IF NOT EXISTS nodes (
        id TEXT PRIMARY KEY, host TEXT NOT NULL, pid BIGINT NOT NULL, kind TEXT NOT NULL, started_at TEXT NOT NULL,
        heartbeat_at TEXT NOT NULL, lease_until TEXT NOT NULL, stopped_at TEXT
      );
      ALTER TABLE jobs ADD COLUMN IF NOT EXISTS node TEXT;
      ALTER TABLE jobs ADD COLUMN IF NOT EXISTS lease_until TEXT;
      ALTER TABLE jobs ADD COLUMN IF NOT EXISTS request TEXT;
      ALTER TABLE jobs ADD COLUMN IF NOT EXISTS result TEXT;
      CREATE INDEX IF NOT EXISTS jobs_queue ON jobs (state, node);
      CREATE TABLE IF NOT EXISTS placements (tenant TEXT PRIMARY KEY, node TEXT NOT NULL, files TEXT, placed_by TEXT NOT NULL, placed_at TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS rate_windows (key TEXT PRIMARY KEY, window_start BIGINT NOT NULL, count BIGINT NOT NULL);
      -- SQLite's implicit rowid orders the product ledger's cells by arrival (a call sees the cells
      -- committed after its mark); here it is a column of its own, numbered in commit order (writers serialize).
      ALTER TABLE product_ledger ADD COLUMN IF NOT EXISTS rowid BIGSERIAL;
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS.at(-1)?.version ?? BASELINE_VERSION;

/** SQLite's JSON functions, as the services' reports and risk patterns call them. */
const POSTGRES_FUNCTIONS = `
CREATE OR REPLACE FUNCTION json_extract(doc TEXT, path TEXT) RETURNS TEXT
  LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT (doc::jsonb) #>> string_to_array(substr(path, 3), '.') $$;
CREATE OR REPLACE FUNCTION json_each(doc TEXT) RETURNS TABLE (value TEXT)
  LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT e::text FROM jsonb_array_elements(doc::jsonb) AS e $$;
`;

/** The baseline on PostgreSQL: the schema in its types, every added column, SQLite's JSON functions. */
export function postgresBaseline(): string {
  const added = ADDED_COLUMNS.map(([t, c, def]) => `ALTER TABLE ${t} ADD COLUMN IF NOT EXISTS ${c} ${ddlToPostgres(def)};`).join('\n');
  return `${ddlToPostgres(SCHEMA)}\n${added}\n${POSTGRES_FUNCTIONS}`;
}
