// What every command file shares: the IO, the global options, opening the data home for one
// command, resolving the caller, printing JSON.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { OpError, type ErrorCode } from '../../errors/index.ts';
import type { Opdomain, Principal } from '../../services/index.ts';

// The runtime is loaded when a command runs, not to print help: `opdomain --help` starts fast.
export const core = () => import('../../services/index.ts');

export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  /** Non-null once a command decided the process exit code. */
  exitCode: number | null;
  /** Whether the terminal is interactive (progress bars). */
  readonly tty: boolean;
}

export interface GlobalOpts {
  home?: string;
  as?: string;
}

export const json = (io: CliIO, value: unknown) => io.out(`${JSON.stringify(value, null, 2)}\n`);

/** A command's options with the program's (--home, --as). */
export const globals = (cmd: Command) => cmd.optsWithGlobals() as GlobalOpts;

/** A JSON option's value; BAD_REQUEST when it is not JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new OpError('BAD_REQUEST', 'not valid JSON');
  }
}

export async function withDomain<T>(opts: GlobalOpts, fn: (od: Opdomain) => Promise<T>): Promise<T> {
  const { Opdomain } = await core();
  const od = await Opdomain.open({ ...(opts.home ? { home: opts.home } : {}) });
  try {
    return await fn(od);
  } finally {
    await od.close();
  }
}

export async function caller(od: Opdomain, opts: GlobalOpts): Promise<Principal> {
  return od.principal({ ...(opts.as !== undefined ? { as: opts.as } : {}), ...(process.env.OPDOMAIN_TOKEN ? { token: process.env.OPDOMAIN_TOKEN } : {}) });
}

/** A JSON file a command reads (`-` for stdin): unreadable is BAD_REQUEST, malformed the caller's code. */
export function readJsonFile(file: string, malformed: ErrorCode = 'BAD_REQUEST'): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch {
    throw new OpError('BAD_REQUEST', `cannot read ${file}`);
  }
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new OpError(malformed, `${file} is not valid JSON`);
  }
}
