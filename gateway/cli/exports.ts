// `opdomain export`: request, revise, submit, decide, revoke, download and verify bundles.
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { JWK } from 'jose';
import type { ExportRequestView } from '../../services/index.ts';
import { caller, globals as g, json, withDomain, type CliIO } from './context.ts';

// The runtime is loaded when a command runs, not to print help: `opdomain --help` starts fast.
const bundles = () => import('../../exports/index.ts');

export function registerExportCommands(program: Command, io: CliIO): void {
  const exp = program.command('export').description('export requests: request, review, download, verify');
  exp
    .command('request')
    .requiredOption('--job <id>', 'the prod job')
    .requiredOption('--output <name>', 'the output to export')
    .option('--scenario <id>', "one of the authorization's scenarios")
    .option('--draft', 'keep it as a draft: read the check report, then `export submit`')
    .option('--suppress', 'one-step fix: empty small counts and dominated cells (recorded with the request)')
    .option('--round <base>', 'one-step fix: round counts to a multiple of base', (v) => Number(v))
    .option('--argument <text>', 'a written argument for an exception to a blocking rule (shown to the reviewers)')
    .option('--purpose <text>', 'what the export is for, within its scenario (shown to the reviewers)')
    .action(async (opts, cmd) =>
      withDomain(g(cmd), async (od) => {
        const fix =
          opts.suppress || opts.round !== undefined
            ? { ...(opts.suppress ? { suppress: true } : {}), ...(opts.round !== undefined ? { roundTo: opts.round } : {}) }
            : undefined;
        const r = await od.exports.request(await caller(od, g(cmd)), {
          jobId: opts.job,
          output: opts.output,
          ...(opts.scenario ? { scenario: opts.scenario } : {}),
          ...(opts.draft ? { draft: true } : {}),
          ...(fix ? { fix } : {}),
          ...(opts.argument ? { argument: opts.argument } : {}),
          ...(opts.purpose ? { purpose: opts.purpose } : {}),
        });
        blockedExit(r);
      }),
    );
  const blockedExit = (r: ExportRequestView) => {
    json(io, r);
    if (r.state === 'blocked' || (r.state === 'draft' && r.verdict === 'block')) {
      io.err(
        `EXPORT_BLOCKED: the automatic check blocks this export (${r.rules
          .filter((x) => x.verdict === 'block')
          .map((x) => x.rule)
          .join(', ')})\n`,
      );
      io.exitCode = 1;
    }
  };
  for (const verb of ['revise', 'resubmit'] as const) {
    exp
      .command(`${verb} <requestId>`)
      .description(
        verb === 'revise'
          ? 'change a draft, blocked or returned request (another job/output, a fix); the check runs again'
          : 'send a returned request back to the reviewers (optionally changed)',
      )
      .option('--job <id>', 'another prod job')
      .option('--output <name>', 'another output')
      .option('--suppress', 'one-step fix: suppress small and dominated cells')
      .option('--round <base>', 'one-step fix: round counts', (v) => Number(v))
      .option('--argument <text>', 'a written argument for an exception to a blocking rule')
      .action(async (id, opts, cmd) =>
        withDomain(g(cmd), async (od) => {
          const changes = {
            ...(opts.job ? { jobId: opts.job } : {}),
            ...(opts.output ? { output: opts.output } : {}),
            ...(opts.argument ? { argument: opts.argument } : {}),
            ...(opts.suppress || opts.round !== undefined
              ? { fix: { ...(opts.suppress ? { suppress: true } : {}), ...(opts.round !== undefined ? { roundTo: opts.round } : {}) } }
              : {}),
          };
          blockedExit(await od.exports[verb](await caller(od, g(cmd)), id, changes));
        }),
      );
  }
  exp
    .command('submit <requestId>')
    .description('send a draft to the reviewers')
    .action(async (id, _o, cmd) => withDomain(g(cmd), async (od) => json(io, od.exports.submit(await caller(od, g(cmd)), id))));
  exp
    .command('withdraw <requestId>')
    .action(async (id, _o, cmd) => withDomain(g(cmd), async (od) => json(io, od.exports.withdraw(await caller(od, g(cmd)), id))));
  exp
    .command('revoke <requestId>')
    .description('revoke a released bundle (it is no longer served)')
    .option('--reason <text>', 'why (required)')
    .action(async (id, opts, cmd) => withDomain(g(cmd), async (od) => json(io, od.exports.revoke(await caller(od, g(cmd)), id, opts.reason))));
  for (const decision of ['approve', 'return', 'reject'] as const) {
    exp
      .command(`${decision} <requestId>`)
      .option('--comment <text>', decision === 'approve' ? 'a note for the record' : 'why (required to return or reject)')
      .action(async (id, opts, cmd) =>
        withDomain(g(cmd), async (od) => json(io, await od.exports.decide(await caller(od, g(cmd)), id, decision, opts.comment))),
      );
  }
  exp
    .command('list')
    .option('--state <state>')
    .option('--tenant <id>')
    .action(async (opts, cmd) => withDomain(g(cmd), async (od) => json(io, od.exports.list(await caller(od, g(cmd)), opts))));
  exp.command('show <requestId>').action(async (id, _o, cmd) => withDomain(g(cmd), async (od) => json(io, od.exports.get(await caller(od, g(cmd)), id))));
  exp
    .command('download <requestId>')
    .description('a released bundle as one file (manifest, its signature and every file), which `export verify` reads')
    .option('--out <file>', 'where to write it (default: REQUEST_ID.bundle.json here)')
    .action(async (id: string, opts: { out?: string }, cmd) =>
      withDomain(g(cmd), async (od) => {
        const bundle = od.exports.download(await caller(od, g(cmd)), id);
        const out = resolve(opts.out ?? `${id}.bundle.json`);
        writeFileSync(out, `${JSON.stringify(bundle)}\n`);
        json(io, { file: out, bundleId: bundle.manifest.bundleId, expiresAt: bundle.manifest.expiresAt, files: bundle.manifest.files });
      }),
    );
  exp
    .command('verify <bundle>')
    .description("verify a bundle offline with the domain's public JWKS: its folder, or the one file `export download` wrote")
    .option('--jwks <file>', "JWKS file (default: this data home's public key)")
    .action(async (dir, opts, cmd) => {
      const check = async (jwks: { keys: readonly JWK[] }) => {
        const v = await (await bundles()).verifyBundle(resolve(dir), jwks);
        json(io, { ok: v.ok, problems: v.problems, manifest: v.manifest });
        if (!v.ok) io.exitCode = 1;
      };
      if (opts.jwks) await check(JSON.parse(readFileSync(resolve(opts.jwks), 'utf8')));
      else await withDomain(g(cmd), async (od) => check(od.jwks() as { keys: JWK[] }));
    });
}
