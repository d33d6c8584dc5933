// `opdomain node` (this process becomes a worker node) and `opdomain nodes` (list, place).
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { caller, core, globals as g, json, withDomain, type CliIO } from './context.ts';

const positive = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`expected a positive integer, got "${v}"`);
  return n;
};

export function registerNodeCommands(program: Command, io: CliIO): void {
  program
    .command('node')
    .description('run a worker node: take jobs from the control store queue (OPDOMAIN_DATABASE_URL) until SIGTERM')
    .option('--id <id>', 'the node name (default: host name and a random suffix)')
    .option('--concurrency <n>', 'jobs at once', positive, 2)
    .option('--lease-ms <ms>', 'a lease not renewed for this long marks the node lost', positive, 5000)
    .option('--files <dir>', "keep verified copies of the tenant files here (default: read the shared home's)")
    .action(async (opts, cmd) => {
      const { Opdomain } = await core();
      const home = g(cmd).home;
      const od = await Opdomain.open({ ...(home ? { home } : {}), workerPool: opts.concurrency, jobsOn: 'here' });
      const node = od.startNode({
        ...(opts.id ? { id: opts.id } : {}),
        ...(opts.files ? { filesDir: resolve(opts.files) } : {}),
        concurrency: opts.concurrency,
        leaseMs: opts.leaseMs,
      });
      json(io, { node: node.id, pid: process.pid, concurrency: opts.concurrency, leaseMs: opts.leaseMs });
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      });
      await node.stop();
      await od.close();
    });
  const nodes = program.command('nodes').description('worker nodes and where authorizations run');
  nodes.command('list').action(async (_o, cmd) =>
    withDomain(g(cmd), async (od) => {
      const p = await caller(od, g(cmd));
      json(io, { nodes: od.nodes.list(p), placements: od.nodes.placements(p) });
    }),
  );
  nodes
    .command('place <tenant> <node>')
    .description("run the authorization's jobs on this node (after its queued and running jobs end)")
    .action(async (tenant, node, _o, cmd) => withDomain(g(cmd), async (od) => json(io, await od.nodes.place(await caller(od, g(cmd)), tenant, node))));
}
