// Shared test fixtures: a temporary data home with the demo domain set up on small sample data.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp, Opdomain, setupDemo, type DemoSetup, type IdentityProviderConfig } from '../gateway/index.ts';
import { freshDatabase, testStoreIsPostgres } from './postgres.ts';

export const TEST_SCALE = 3000;

export function tempHome(prefix = 'opdomain-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function demoDomain(
  opts: { workerPool?: number; identityProvider?: IdentityProviderConfig; scale?: number } = {},
): Promise<{ od: Opdomain; setup: DemoSetup; home: string; databaseUrl?: string; close: () => Promise<void> }> {
  const home = tempHome();
  // The suite's store: the embedded file, or a new PostgreSQL database (the postgres project).
  const db = testStoreIsPostgres() ? await freshDatabase() : undefined;
  // CLI processes a test starts on this home find the same store, as a deployment's would.
  if (db) process.env.OPDOMAIN_DATABASE_URL = db.url;
  const od = await Opdomain.open({
    home: home.dir,
    ...(db ? { databaseUrl: db.url } : {}),
    workerPool: opts.workerPool ?? 1,
    ...(opts.identityProvider ? { identityProvider: opts.identityProvider } : {}),
  });
  const setup = await setupDemo(od, { scale: opts.scale ?? TEST_SCALE });
  // Prod replies are held to a time bucket (the timing channel); a short one keeps the suite quick.
  od.jobs.prodReplyBucketMs = 50;
  return {
    od,
    setup,
    home: home.dir,
    ...(db ? { databaseUrl: db.url } : {}),
    close: async () => {
      await od.close();
      await db?.drop();
      home.cleanup();
    },
  };
}

/** The demo domain and its HTTP app (fastify inject: no sockets), closed together. */
export async function demoDomainWithApp(): Promise<Awaited<ReturnType<typeof demoDomain>> & { app: FastifyInstance }> {
  const d = await demoDomain();
  const app = buildApp(d.od);
  await app.ready();
  return {
    ...d,
    app,
    close: async () => {
      await app.close();
      await d.close();
    },
  };
}

export const INCOME_SCRIPT = `
const rows = await sql(\`SELECT p.county_code, count(DISTINCT p.id_card) AS people, round(avg(s.base_amount), 2) AS avg_base
  FROM population p JOIN social_insurance s ON s.id_card = p.id_card
  WHERE s.month = $1 GROUP BY p.county_code HAVING count(DISTINCT p.id_card) >= 10 ORDER BY 1\`, [params.month ?? '2024-06']);
log(rows.length + ' counties');
output('income_by_county', rows);
`;

/** The manifest of INCOME_SCRIPT's one output, as a prod run declares it. */
export const INCOME_MANIFEST = {
  outputs: [
    {
      name: 'income_by_county',
      columns: [
        { name: 'county_code', type: 'VARCHAR' },
        { name: 'people', type: 'BIGINT' },
        { name: 'avg_base', type: 'DOUBLE' },
      ],
    },
  ],
};
