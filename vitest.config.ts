import { defineConfig } from 'vitest/config';

// isolated-vm 5 on Node 20 needs --no-node-snapshot in every process that loads it;
// sandbox workers are child processes started with it, and test workers get it too.
//
// Two projects: every test on the embedded store, and the suites that walk the domain end to end
// again on PostgreSQL (OPDOMAIN_TEST_STORE=postgres: each demo domain gets a new database on the
// server OPDOMAIN_TEST_DATABASE_URL names; .ci/run starts one). The store conformance suite and
// the multi-node test ask both stores themselves, so they run once.
const ON_POSTGRES = [
  'test/e2e.http.test.ts',
  'test/authority.http.test.ts',
  'test/products.e2e.test.ts',
  'test/exportGate.test.ts',
  'test/notifications.test.ts',
  'test/dp.test.ts',
  'test/authorizations.test.ts',
];
const postgres = Boolean(process.env.OPDOMAIN_TEST_DATABASE_URL) || process.env.CI === 'true';

export default defineConfig({
  test: {
    pool: 'forks',
    execArgv: ['--no-node-snapshot'],
    globalSetup: ['test/globalSetup.ts'],
    testTimeout: 120_000,
    hookTimeout: 240_000,
    fileParallelism: true,
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'sqlite', include: ['**/*.test.ts'], exclude: ['node_modules/**', 'scratch/**', 'dist/**'] } },
      ...(postgres ? [{ extends: true as const, test: { name: 'postgres', include: ON_POSTGRES, env: { OPDOMAIN_TEST_STORE: 'postgres' } } }] : []),
    ],
  },
});
