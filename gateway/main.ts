// Process entry of the `opdomain` command (bin/opdomain.js starts it with the right flags).
import { runCli } from './cli/program.ts';

const io = {
  out: (s: string) => void process.stdout.write(s),
  err: (s: string) => void process.stderr.write(s),
  exitCode: null as number | null,
  tty: Boolean(process.stderr.isTTY),
};

const code = await runCli(process.argv.slice(2), io);
process.exitCode = code;
