// Starts an entry point under Node with the flags every Opdomain process needs:
// --no-node-snapshot (isolated-vm 5 on Node 20). From the compiled dist/ when it is at least
// as new as every source file (bin/build.js, run by npm install), else from the TypeScript
// sources through the tsx loader, resolved from this package so the command works from any
// working directory. A process already started with the flag (the `opdomain` shebang) runs
// the entry itself instead of starting a second Node.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const tsxLoader = import.meta.resolve('tsx');
export const nodeFlags = ['--no-node-snapshot', '--import', tsxLoader];
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const SOURCES = ['errors', 'authority', 'products', 'privacy', 'datasets', 'masking', 'sandbox', 'lineage', 'exports', 'domain', 'store', 'gateway'];

function newestSource(dir) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/** The compiled entry, if dist/ is complete and no source is newer than it. */
export function compiledEntry(entryRelative) {
  try {
    const built = statSync(`${ROOT}dist/.built`).mtimeMs;
    if (SOURCES.some((d) => newestSource(`${ROOT}${d}`) > built)) return null;
    const js = `${ROOT}dist/${entryRelative.replace(/\.ts$/, '.js')}`;
    statSync(js);
    return js;
  } catch {
    return null;
  }
}

export async function launch(entryRelative, args) {
  const compiled = compiledEntry(entryRelative);
  if (compiled && process.execArgv.includes('--no-node-snapshot')) {
    process.argv = [process.argv[0], compiled, ...args];
    await import(pathToFileURL(compiled).href);
    return;
  }
  const entry = compiled ?? fileURLToPath(new URL(`../${entryRelative}`, import.meta.url));
  const child = spawn(process.execPath, [...(compiled ? ['--no-node-snapshot'] : nodeFlags), entry, ...args], { stdio: 'inherit' });
  const forward = (sig) => () => child.kill(sig);
  process.on('SIGINT', forward('SIGINT'));
  process.on('SIGTERM', forward('SIGTERM'));
  child.on('exit', (code, signal) => {
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
}
