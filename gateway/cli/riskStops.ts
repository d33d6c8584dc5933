// `opdomain risk`: raise a risk stop, list, confirm, resolve, dismiss (R19, R29).
import type { Command } from 'commander';
import { caller, globals as g, json, withDomain, type CliIO } from './context.ts';

export function registerRiskStopCommands(program: Command, io: CliIO): void {
  const risk = program.command('risk').description("risk stops (R19, R29): stop an authorization's processing until the authority resolves it");
  risk
    .command('raise')
    .requiredOption('--tenant <id>', 'the authorization')
    .requiredOption('--reason <text>', 'what was found (10 to 4000 characters)')
    .description("stop the authorization's running jobs and hold new ones")
    .action(async (opts, cmd) => withDomain(g(cmd), async (od) => json(io, od.risks.raise(await caller(od, g(cmd)), opts.tenant, opts.reason))));
  risk
    .command('list')
    .option('--tenant <id>')
    .action(async (opts, cmd) => withDomain(g(cmd), async (od) => json(io, od.risks.list(await caller(od, g(cmd)), opts.tenant))));
  for (const action of ['confirm', 'resolve', 'dismiss'] as const) {
    risk
      .command(`${action} <riskStopId>`)
      .requiredOption('--resolution <text>', 'what was done (10 to 4000 characters)')
      .action(async (id, opts, cmd) => withDomain(g(cmd), async (od) => json(io, od.risks.decide(await caller(od, g(cmd)), id, action, opts.resolution))));
  }
}
