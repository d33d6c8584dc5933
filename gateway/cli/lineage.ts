// `opdomain lineage`: verify the log, trace, replay, prove and check entries, purge, checkpoint.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { JWK } from 'jose';
import type { Checkpoint } from '../../lineage/index.ts';
import { caller, globals as g, json, withDomain, type CliIO } from './context.ts';

// The runtime is loaded when a command runs, not to print help: `opdomain --help` starts fast.
const lineage = () => import('../../lineage/index.ts');

export function registerLineageCommands(program: Command, io: CliIO): void {
  const lin = program.command('lineage').description('audit log and lineage: verify, trace, checkpoint');
  lin
    .command('verify')
    .option('--from-checkpoint <file>', 'also check the log against a checkpoint saved earlier')
    .action(async (opts, cmd) =>
      withDomain(g(cmd), async (od) => {
        const cp = opts.fromCheckpoint ? (JSON.parse(readFileSync(resolve(opts.fromCheckpoint), 'utf8')) as Checkpoint) : undefined;
        const report = await od.lineage.verify(await caller(od, g(cmd)), cp);
        json(io, report);
        if (!report.ok) io.exitCode = 1;
      }),
    );
  lin
    .command('trace <id>')
    .description('the lineage tree upstream (default) or downstream of a node: export, job, output, bundle, dataset …')
    .option('--down', 'downstream instead of upstream')
    .option('--json', 'print JSON instead of text')
    .action(async (id, opts, cmd) =>
      withDomain(g(cmd), async (od) => {
        const tree = od.lineage.trace(await caller(od, g(cmd)), id, opts.down ? 'down' : 'up');
        if (opts.json) json(io, tree);
        else io.out(`${(await lineage()).renderTrace(tree)}\n`);
      }),
    );
  lin
    .command('replay <jobId>')
    .description('re-run a recorded job against the same build and compare output hashes: MATCH or MISMATCH')
    .action(async (id, _o, cmd) =>
      withDomain(g(cmd), async (od) => {
        const report = await od.lineage.replay(await caller(od, g(cmd)), id);
        json(io, report);
        if (report.result !== 'MATCH') io.exitCode = 1;
      }),
    );
  lin
    .command('prove <seq>')
    .description('one entry with its inclusion proof and the signed checkpoint (save it for lineage check-entry)')
    .action(async (seq, _o, cmd) => withDomain(g(cmd), async (od) => json(io, await od.lineage.prove(await caller(od, g(cmd)), Number(seq)))));
  lin
    .command('check-entry <proofFile>')
    .description("verify an entry offline: its proof against the signed checkpoint, with the domain's public key only")
    .option('--jwks <file>', "JWKS file (default: this data home's public key)")
    .action(async (file, opts, cmd) => {
      const proof = JSON.parse(readFileSync(resolve(file), 'utf8'));
      const check = async (jwks: { keys: readonly JWK[] }) => {
        const r = await (await lineage()).verifyEntryProof(proof, jwks);
        json(io, r);
        if (!r.ok) io.exitCode = 1;
      };
      if (opts.jwks) await check(JSON.parse(readFileSync(resolve(opts.jwks), 'utf8')));
      else await withDomain(g(cmd), async (od) => check(od.jwks() as { keys: JWK[] }));
    });
  lin
    .command('purge')
    .description('retention: drop the bodies of entries older than DATE (at least 180 days ago; leaf hashes stay, the log still verifies)')
    .requiredOption('--before <date>', 'ISO date')
    .action(async (opts, cmd) =>
      withDomain(g(cmd), async (od) => {
        json(io, { purged: od.lineage.purge(await caller(od, g(cmd)), new Date(opts.before)) });
      }),
    );
  lin
    .command('checkpoint')
    .description('sign and print a checkpoint of the log as it is now')
    .action(async (_o, cmd) => withDomain(g(cmd), async (od) => json(io, await od.lineage.checkpoint())));
}
