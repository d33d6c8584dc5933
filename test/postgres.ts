// PostgreSQL for the tests: OPDOMAIN_TEST_DATABASE_URL names a server where the tests may create
// databases (.ci/run starts Debian's PostgreSQL and sets it). Each store under test gets a new,
// empty database of its own. In CI (CI=true) a missing server fails the run; elsewhere the
// PostgreSQL cases are skipped and say why.
import pg from 'pg';
import { randomBytes } from 'node:crypto';

export const POSTGRES_URL = process.env.OPDOMAIN_TEST_DATABASE_URL;

/** Whether the PostgreSQL cases run; throws in CI when the server is not configured. */
export function postgresAvailable(): boolean {
  if (POSTGRES_URL) return true;
  if (process.env.CI === 'true') throw new Error('CI=true but OPDOMAIN_TEST_DATABASE_URL is not set: the PostgreSQL store must be tested in CI');
  return false;
}

/** The suite's store: PostgreSQL when the run asks for it (OPDOMAIN_TEST_STORE=postgres). */
export function testStoreIsPostgres(): boolean {
  return process.env.OPDOMAIN_TEST_STORE === 'postgres' && postgresAvailable();
}

/** A new empty database on the test server, and a way to drop it. */
export async function freshDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  if (!POSTGRES_URL) throw new Error('OPDOMAIN_TEST_DATABASE_URL is not set');
  const name = `opdomain_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client(POSTGRES_URL);
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client(POSTGRES_URL);
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
      await c.end();
    },
  };
}
