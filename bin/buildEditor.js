#!/usr/bin/env node
// Bundles the console's script editor (gateway/editor/editor.js: CodeMirror 6 and the SDK's
// completions read from sandbox/sdk.d.ts) into gateway/console/vendor/editor.js, which the
// gateway serves with the rest of the console. bin/build.js runs it; so does `npm install`.
// Without the bundle the console falls back to a plain text area.
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
export const EDITOR_BUNDLE = `${root}gateway/console/vendor/editor.js`;

export async function buildEditor() {
  const { build } = await import('esbuild');
  const { sdkCompletions } = await import('../gateway/editor/sdkCompletions.js');
  const sdk = await sdkCompletions(`${root}sandbox/sdk.d.ts`);
  mkdirSync(`${root}gateway/console/vendor`, { recursive: true });
  await build({
    entryPoints: [`${root}gateway/editor/editor.js`],
    outfile: EDITOR_BUNDLE,
    bundle: true,
    format: 'esm',
    minify: true,
    target: 'es2022',
    legalComments: 'eof',
    logLevel: 'warning',
    plugins: [
      {
        name: 'sdk-completions',
        setup(b) {
          b.onResolve({ filter: /^virtual:sdk-completions$/ }, (a) => ({ path: a.path, namespace: 'sdk' }));
          b.onLoad({ filter: /.*/, namespace: 'sdk' }, () => ({ contents: JSON.stringify(sdk), loader: 'json' }));
        },
      },
    ],
  });
  return EDITOR_BUNDLE;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    console.log(`opdomain: editor bundled to ${await buildEditor()}`);
  } catch (e) {
    console.error(`opdomain: the editor bundle failed (${e.message}); the console will offer a plain text area`);
  }
}
