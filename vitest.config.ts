import { defineConfig } from 'vitest/config';

// isolated-vm 5 on Node 20 needs --no-node-snapshot in every process that loads it;
// sandbox workers are child processes started with it, and test workers get it too.
export default defineConfig({
  test: {
    pool: 'forks',
    execArgv: ['--no-node-snapshot'],
    include: ['**/*.test.ts'],
    globalSetup: ['test/globalSetup.ts'],
    exclude: ['node_modules/**', 'scratch/**'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    fileParallelism: true,
    maxWorkers: 2,
  },
});
