// `opdomain inbox [--days N]`: what waits for the caller, and what changed on what they filed.
import type { Command } from 'commander';
import { caller, json, withDomain, type CliIO, globals as g } from './context.ts';

export function registerNotificationCommands(program: Command, io: CliIO): void {
  program
    .command('inbox')
    .description('what waits for you (requests, versions, imports, stops, demand lists on which you may act) and what changed on what you filed')
    .option('--days <n>', 'how far back "changed" looks (1 to 90)', (v) => Number(v), 7)
    .action(async (opts: { days: number }, cmd) => withDomain(g(cmd), async (od) => json(io, od.notifications.feed(await caller(od, g(cmd)), opts.days))));
}
