// Starts a TypeScript entry point under Node with the flags every Opdomain process needs:
// --no-node-snapshot (isolated-vm 5 on Node 20) and the tsx loader, resolved from this
// package so the command works from any working directory.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const tsxLoader = import.meta.resolve('tsx');
export const nodeFlags = ['--no-node-snapshot', '--import', tsxLoader];

export function launch(entryRelative, args) {
  const entry = fileURLToPath(new URL(`../${entryRelative}`, import.meta.url));
  const child = spawn(process.execPath, [...nodeFlags, entry, ...args], { stdio: 'inherit' });
  const forward = (sig) => () => child.kill(sig);
  process.on('SIGINT', forward('SIGINT'));
  process.on('SIGTERM', forward('SIGTERM'));
  child.on('exit', (code, signal) => {
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
}
