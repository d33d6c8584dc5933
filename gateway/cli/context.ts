// What every command file shares: the IO, the global options, opening the data home for one
// command, resolving the caller, printing JSON.
import type { Opdomain, Principal } from '../core/index.ts';

// The runtime is loaded when a command runs, not to print help: `opdomain --help` starts fast.
export const core = () => import('../core/index.ts');

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

export const json = (io: CliIO, value: unknown) => io.out(JSON.stringify(value, null, 2) + '\n');

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

