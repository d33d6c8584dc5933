// The `opdomain` command line. A thin client of the same core as the HTTP API: every command
// opens the data home, resolves the caller (--as through the dev issuer, or $OPDOMAIN_TOKEN)
// and calls one core operation. Machine-readable JSON on stdout; errors carry registry codes.
import { Command, CommanderError } from 'commander';
import { OpError, toOpError } from '../../errors/index.ts';
import type { Opdomain } from '../../services/index.ts';
import { core, globals as g, json, withDomain, type CliIO } from './context.ts';
import { registerProductCommands } from './products.ts';
import { registerAuthorityCommands } from './authority.ts';
import { registerImportCommands } from './imports.ts';
import { registerPrivacyCommands } from './privacy.ts';
import { progressBar, registerDatasetCommands } from './datasets.ts';
import { registerNotificationCommands } from './notifications.ts';
import { registerJobCommands } from './jobs.ts';
import { registerExportCommands } from './exports.ts';
import { registerLineageCommands } from './lineage.ts';
import { registerAuthorizationCommands } from './authorizations.ts';
import { registerRiskStopCommands } from './riskStops.ts';
import { registerPeopleCommands } from './people.ts';
import { registerNodeCommands } from './nodes.ts';

export type { CliIO } from './context.ts';

export async function serve(od: Opdomain, _io: CliIO, opts: { port: number; host: string }): Promise<{ url: string; close: () => Promise<void> }> {
  const { buildApp } = await import('../http/index.ts');
  const app = buildApp(od, { logger: { level: process.env.OPDOMAIN_LOG_LEVEL ?? 'warn' } });
  let address: string;
  try {
    address = await app.listen({ port: opts.port, host: opts.host });
  } catch (err) {
    await app.close();
    if ((err as { code?: string }).code === 'EADDRINUSE') {
      throw new OpError('SERVE_ADDRESS_IN_USE', `${opts.host}:${opts.port} is already in use (is another gateway serving this home?); stop it, or pass --port`);
    }
    throw err;
  }
  const url = `${address.replace('[::1]', 'localhost')}/`;
  return { url, close: () => app.close() };
}

function waitForSignal(): Promise<void> {
  return new Promise((resolveWait) => {
    process.once('SIGINT', () => resolveWait());
    process.once('SIGTERM', () => resolveWait());
  });
}

export function buildProgram(io: CliIO): Command {
  const program = new Command('opdomain')
    .description('Opdomain: the runtime of an operating domain (授权运营域) for public data')
    .option('--home <dir>', 'data home (default $OPDOMAIN_HOME or ./.opdomain)')
    .option('--as <name>', 'act as this registered user through the built-in dev issuer')
    .showHelpAfterError()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .exitOverride();

  program
    .command('demo')
    .description('make sample data if absent, provision the demo authorization and its users, start the gateway')
    .option('--no-serve', 'set up and exit')
    .option('--port <n>', 'port for the gateway', (v) => Number(v), Number(process.env.PORT ?? 8470))
    .option('--host <addr>', 'interface to listen on', '127.0.0.1')
    .option('--scale <n>', 'people in the sample data', (v) => Number(v))
    .option('--json', 'print the set-up as JSON')
    .action(async (opts, cmd) => {
      const { Opdomain, setupDemo, DEMO_TENANT } = await core();
      const od = await Opdomain.open({ ...(g(cmd).home ? { home: g(cmd).home! } : {}), workerPool: opts.serve ? 2 : 0 });
      let server: { url: string; close: () => Promise<void> } | undefined;
      try {
        const bar = await progressBar(io);
        const setup = await setupDemo(od, { ...(opts.scale ? { scale: opts.scale } : {}), onProgress: bar.update });
        bar.stop();
        if (opts.serve) server = await serve(od, io, { port: opts.port, host: opts.host });
        if (opts.json) {
          json(io, {
            home: od.ctx.paths.root,
            url: server?.url ?? null,
            tenant: DEMO_TENANT,
            generated: setup.generated,
            provisioned: setup.provisioned,
            tokens: setup.tokens,
          });
        } else {
          const cast = od.ctx.people.list();
          io.out(`Opdomain demo domain is ready${setup.generated ? ' (sample data generated)' : ''}.\n`);
          io.out(`  data home: ${od.ctx.paths.root}\n`);
          if (server) io.out(`  console:   ${server.url}\n  API:       ${server.url}api/…  (bearer tokens below)\n`);
          io.out('\nTokens (valid 12 hours; export OPDOMAIN_TOKEN=… or paste into the console):\n');
          for (const [name, token] of Object.entries(setup.tokens)) {
            const p = cast.find((c) => c.name === name)!;
            io.out(`  ${name.padEnd(6)} ${p.role}${p.tenant ? ` of ${p.tenant}` : ''}\n    ${token}\n`);
          }
          io.out('\nTry:\n  npx opdomain run --tenant demo --env dev examples/income-by-county.js --as alice\n  (the README walks the whole flow)\n');
          if (server) io.out('\nPress Ctrl+C to stop.\n');
        }
        if (server) await waitForSignal();
      } finally {
        await server?.close();
        await od.close();
      }
    });

  program
    .command('serve')
    .description('start the gateway (HTTP API and console) on an existing data home')
    .option('--port <n>', 'port', (v) => Number(v), Number(process.env.PORT ?? 8470))
    .option('--host <addr>', 'interface to listen on', '127.0.0.1')
    .action(async (opts, cmd) => {
      const { Opdomain } = await core();
      const od = await Opdomain.open({ ...(g(cmd).home ? { home: g(cmd).home! } : {}), workerPool: 2 });
      const server = await serve(od, io, opts);
      io.out(`Opdomain gateway listening on ${server.url}\n`);
      await waitForSignal();
      await server.close();
      await od.close();
    });

  program
    .command('token <name>')
    .description('print a dev-issuer bearer token for a registered user')
    .action(async (name, _o, cmd) => withDomain(g(cmd), async (od) => io.out(`${await od.ctx.identity.issueDevToken(name)}\n`)));

  registerJobCommands(program, io);
  registerExportCommands(program, io);
  registerLineageCommands(program, io);
  registerAuthorizationCommands(program, io);
  registerRiskStopCommands(program, io);
  registerPeopleCommands(program, io);
  registerNodeCommands(program, io);
  registerDatasetCommands(program, io);
  registerProductCommands(program, io);
  registerAuthorityCommands(program, io);
  registerImportCommands(program, io);
  registerPrivacyCommands(program, io);
  registerNotificationCommands(program, io);
  return program;
}

/** Runs the CLI; returns the exit code. */
export async function runCli(argv: readonly string[], io: CliIO): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return io.exitCode ?? 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    const e = toOpError(err);
    const message = e.code === 'INTERNAL' ? `${e.message}: ${String((err as Error)?.message ?? err).split('\n')[0]}` : e.message;
    io.out(
      `${JSON.stringify({ ok: false, error: { code: e.code, class: e.errorClass, message, ...(e.details && e.status < 500 ? { details: e.details } : {}) } }, null, 2)}\n`,
    );
    io.err(`${e.code}: ${message}\n`);
    return 1;
  }
}
