#!/usr/bin/env node
// Compiles the runtime to dist/ (npm install runs it as `prepare`): the CLI and job workers
// then start from JavaScript instead of compiling TypeScript at every start. Tests and
// `npm run bench` still run the sources; bin/launch.js uses dist/ only while it is as new as
// every source file, so an edited checkout never runs stale code.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
rmSync(`${root}dist`, { recursive: true, force: true });
// The console's script editor first: the console serves it from the sources as well as from dist/.
try {
  const { buildEditor } = await import('./buildEditor.js');
  await buildEditor();
} catch (e) {
  console.error(`opdomain: the editor bundle failed (${e.message}); the console will offer a plain text area`);
}
const r = spawnSync(process.execPath, [tsc, '-p', `${root}tsconfig.build.json`], { stdio: 'inherit' });
if (r.status !== 0) {
  // The sources still run through tsx: a failed build costs speed, not the install.
  rmSync(`${root}dist`, { recursive: true, force: true });
  console.error('opdomain: the build to dist/ failed; commands will run from the TypeScript sources');
  process.exit(0);
}
// Files the runtime reads beside its modules.
for (const dir of ['gateway/console', 'datasets/catalog']) cpSync(`${root}${dir}`, `${root}dist/${dir}`, { recursive: true });
// The catalog schema's validator as code (ajv standalone): a command that reads the catalog does
// not compile the schema at start-up (datasets/catalogFile.ts falls back to compiling it).
const { Ajv2020 } = await import('ajv/dist/2020.js');
const { default: standaloneCode } = await import('ajv/dist/standalone/index.js');
const ajv = new Ajv2020({ allErrors: true, strict: true, code: { source: true } });
const schema = JSON.parse(readFileSync(`${root}datasets/catalog/catalog.schema.json`, 'utf8'));
writeFileSync(`${root}dist/datasets/catalogSchema.validate.cjs`, standaloneCode(ajv, ajv.compile(schema)));
mkdirSync(`${root}dist`, { recursive: true });
writeFileSync(`${root}dist/.built`, `${new Date().toISOString()}\n`);
