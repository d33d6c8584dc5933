// Before any test file: the console's editor bundle exists and is as new as its sources (the
// browser tests drive it; `npm install` builds it, an edited checkout may not have yet).
import { existsSync, statSync } from 'node:fs';

const SOURCES = ['gateway/editor/editor.js', 'gateway/editor/sdkCompletions.js', 'sandbox/sdk.d.ts', 'bin/buildEditor.js'];

export default async function setup(): Promise<void> {
  const { buildEditor, EDITOR_BUNDLE } = (await import(new URL('../bin/buildEditor.js', import.meta.url).href)) as {
    buildEditor: () => Promise<string>;
    EDITOR_BUNDLE: string;
  };
  const built = existsSync(EDITOR_BUNDLE) ? statSync(EDITOR_BUNDLE).mtimeMs : 0;
  if (SOURCES.some((f) => statSync(f).mtimeMs > built)) await buildEditor();
}
