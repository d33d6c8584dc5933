// The `opdomain` command line. A thin client of the same core as the HTTP API: every command
// opens the data home, resolves the caller (--as through the dev issuer, or $OPDOMAIN_TOKEN)
// and calls one core operation. Machine-readable JSON on stdout; errors carry registry codes.
import { writeFileSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { OpError, toOpError } from '../../errors/index.ts';
import type { Checkpoint } from '../../lineage/index.ts';
import type { ExportRequestView, Opdomain } from '../core/index.ts';
import { caller, core, json, withDomain, type CliIO, type GlobalOpts } from './context.ts';
import { registerProductCommands } from './products.ts';
import { registerAuthorityCommands } from './authority.ts';
import { registerImportCommands, registerUsageCommand } from './imports.ts';
import { registerPrivacyCommands } from './privacy.ts';
import { progressBar, registerDatasetCommands } from './datasets.ts';
import { registerNotificationCommands } from './notifications.ts';

// The runtime is loaded when a command runs, not to print help: `opdomain --help` starts fast.
const lineage = () => import('../../lineage/index.ts');
const bundles = () => import('../../exports/index.ts');
import type { TenantAction } from '../../domain/index.ts';

export type { CliIO } from './context.ts';

function parseParams(pairs: string[], jsonText?: string): Record<string, unknown> {
  let params: Record<string, unknown> = {};
  if (jsonText) {
    try {
      params = JSON.parse(jsonText);
    } catch {
      throw new OpError('BAD_REQUEST', '--params must be a JSON object');
    }
    if (!params || typeof params !== 'object' || Array.isArray(params)) throw new OpError('BAD_REQUEST', '--params must be a JSON object');
  }
  for (const p of pairs) {
    const i = p.indexOf('=');
    if (i <= 0) throw new OpError('BAD_REQUEST', `--param takes key=value, got "${p}"`);
    params[p.slice(0, i)] = p.slice(i + 1);
  }
  return params;
}

export async function serve(od: Opdomain, io: CliIO, opts: { port: number; host: string }): Promise<{ url: string; close: () => Promise<void> }> {
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
  const url = address.replace('[::1]', 'localhost') + '/';
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
  const g = (cmd: Command) => cmd.optsWithGlobals() as GlobalOpts;

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
          json(io, { home: od.ctx.paths.root, url: server?.url ?? null, tenant: DEMO_TENANT, generated: setup.generated, provisioned: setup.provisioned, tokens: setup.tokens });
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
    .action(async (name, _o, cmd) => withDomain(g(cmd), async (od) => io.out((await od.ctx.identity.issueDevToken(name)) + '\n')));

  program
    .command('run <script>')
    .description('run an analysis script in the sandbox; prints {ok, jobId, outputs, logs, error?}')
    .requiredOption('--tenant <id>', 'the authorization to run in')
    .addOption(new Option('--env <env>', 'dev (sampled) or prod (full, quiet)').choices(['dev', 'prod']).default('dev'))
    .option('--param <key=value>', 'a job parameter (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--params <json>', 'job parameters as a JSON object')
    .option('--manifest <file>', 'the outputs the job declares (JSON: {"outputs": [{"name", "columns": [{"name", "type"}]}]}); a prod reply speaks only of these')
    .option('--write-manifest <file>', 'after a dev run, write the manifest of its outputs to this file (to run the same script in prod)')
    .action(async (script, opts, cmd) => {
      const read = (file: string, what: string) => {
        try {
          return readFileSync(resolve(file), 'utf8');
        } catch {
          throw new OpError('BAD_REQUEST', `cannot read ${what} file ${file}`);
        }
      };
      const text = read(script, 'script');
      let manifest: unknown;
      if (opts.manifest) {
        try {
          manifest = JSON.parse(read(opts.manifest, 'manifest'));
        } catch (err) {
          throw err instanceof OpError ? err : new OpError('BAD_REQUEST', `the manifest file ${opts.manifest} is not JSON`);
        }
      }
      await withDomain(g(cmd), async (od) => {
        const result = await od.jobs.run(await caller(od, g(cmd)), { tenant: opts.tenant, env: opts.env, script: text, params: parseParams(opts.param, opts.params), ...(manifest ? { manifest } : {}) });
        if (opts.writeManifest && result.ok && result.env === 'dev') {
          const blind = result.outputs.find((o) => o.columns.length === 0);
          if (blind) throw new OpError('BAD_REQUEST', `dev output "${blind.name}" has no rows, so its columns are unknown: write its manifest entry by hand`);
          writeFileSync(resolve(opts.writeManifest), JSON.stringify({ outputs: result.outputs.map((o) => ({ name: o.name, columns: o.columns })) }, null, 2) + '\n');
        }
        json(io, result);
        if (!result.ok) io.exitCode = 1;
      });
    });

  const jobs = program.command('jobs').description('list and inspect jobs');
  jobs.command('list').option('--tenant <id>').action(async (opts, cmd) => withDomain(g(cmd), async (od) => json(io, od.jobs.list(await caller(od, g(cmd)), opts.tenant))));
  jobs.command('cancel <jobId>').description('stop a running job (its worker is killed)').action(async (id, _o, cmd) => withDomain(g(cmd), async (od) => json(io, od.jobs.cancel(await caller(od, g(cmd)), id))));
  jobs.command('show <jobId>').action(async (id, _o, cmd) => withDomain(g(cmd), async (od) => json(io, od.jobs.job(await caller(od, g(cmd)), id))));

  const exp = program.command('export').description('export requests: request, review, download, verify');
  exp
    .command('request')
    .requiredOption('--job <id>', 'the prod job')
    .requiredOption('--output <name>', 'the output to export')
    .option('--scenario <id>', 'one of the authorization\'s scenarios')
    .option('--draft', 'keep it as a draft: read the check report, then `export submit`')
    .option('--suppress', 'one-step fix: empty small counts and dominated cells (recorded with the request)')
    .option('--round <base>', 'one-step fix: round counts to a multiple of base', (v) => Number(v))
    .option('--argument <text>', 'a written argument for an exception to a blocking rule (shown to the reviewers)')
    .option('--purpose <text>', 'what the export is for, within its scenario (shown to the reviewers)')
    .action(async (opts, cmd) =>
      withDomain(g(cmd), async (od) => {
        const fix = opts.suppress || opts.round !== undefined ? { ...(opts.suppress ? { suppress: true } : {}), ...(opts.round !== undefined ? { roundTo: opts.round } : {}) } : undefined;
        const r = await od.exports.request(await caller(od, g(cmd)), { jobId: opts.job, output: opts.output, ...(opts.scenario ? { scenario: opts.scenario } : {}), ...(opts.draft ? { draft: true } : {}), ...(fix ? { fix } : {}), ...(opts.argument ? { argument: opts.argument } : {}), ...(opts.purpose ? { purpose: opts.purpose } : {}) });
        blockedExit(r);
      }),
    );
  const blockedExit = (r: ExportRequestView) => {
    json(io, r);
    if (r.state === 'blocked' || (r.state === 'draft' && r.verdict === 'block')) {
      io.err(`EXPORT_BLOCKED: the automatic check blocks this export (${r.rules.filter((x) => x.verdict === 'block').map((x) => x.rule).join(', ')})\n`);
      io.exitCode = 1;
    }
  };
  for (const verb of ['revise', 'resubmit'] as const) {
    exp
      .command(`${verb} <requestId>`)
      .description(verb === 'revise' ? 'change a draft, blocked or returned request (another job/output, a fix); the check runs again' : 'send a returned request back to the reviewers (optionally changed)')
      .option('--job <id>', 'another prod job')
      .option('--output <name>', 'another output')
      .option('--suppress', 'one-step fix: suppress small and dominated cells')
      .option('--round <base>', 'one-step fix: round counts', (v) => Number(v))
      .option('--argument <text>', 'a written argument for an exception to a blocking rule')
      .action(async (id, opts, cmd) =>
        withDomain(g(cmd), async (od) => {
          const changes = {
            ...(opts.job ? { jobId: opts.job } : {}), ...(opts.output ? { output: opts.output } : {}), ...(opts.argument ? { argument: opts.argument } : {}),
            ...(opts.suppress || opts.round !== undefined ? { fix: { ...(opts.suppress ? { suppress: true } : {}), ...(opts.round !== undefined ? { roundTo: opts.round } : {}) } } : {}),
          };
          blockedExit(await od.exports[verb](await caller(od, g(cmd)), id, changes));
        }),
      );
  }
  exp.command('submit <requestId>').description('send a draft to the reviewers').action(async (id, _o, cmd) => withDomain(g(cmd), async (od) => json(io, od.exports.submit(await caller(od, g(cmd)), id))));
  exp.command('withdraw <requestId>').action(async (id, _o, cmd) => withDomain(g(cmd), async (od) => json(io, od.exports.withdraw(await caller(od, g(cmd)), id))));
  exp
    .command('revoke <requestId>')
    .description('revoke a released bundle (it is no longer served)')
    .option('--reason <text>', 'why (required)')
    .action(async (id, opts, cmd) => withDomain(g(cmd), async (od) => json(io, od.exports.revoke(await caller(od, g(cmd)), id, opts.reason))));
  for (const decision of ['approve', 'return', 'reject'] as const) {
    exp
      .command(`${decision} <requestId>`)
      .option('--comment <text>', decision === 'approve' ? 'a note for the record' : 'why (required to return or reject)')
      .action(async (id, opts, cmd) => withDomain(g(cmd), async (od) => json(io, await od.exports.decide(await caller(od, g(cmd)), id, decision, opts.comment))));
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
        writeFileSync(out, JSON.stringify(bundle) + '\n');
        json(io, { file: out, bundleId: bundle.manifest.bundleId, expiresAt: bundle.manifest.expiresAt, files: bundle.manifest.files });
      }),
    );
  exp
    .command('verify <bundle>')
    .description('verify a bundle offline with the domain\'s public JWKS: its folder, or the one file `export download` wrote')
    .option('--jwks <file>', 'JWKS file (default: this data home\'s public key)')
    .action(async (dir, opts, cmd) => {
      const check = async (jwks: { keys: any[] }) => {
        const v = await (await bundles()).verifyBundle(resolve(dir), jwks);
        json(io, { ok: v.ok, problems: v.problems, manifest: v.manifest });
        if (!v.ok) io.exitCode = 1;
      };
      if (opts.jwks) await check(JSON.parse(readFileSync(resolve(opts.jwks), 'utf8')));
      else await withDomain(g(cmd), async (od) => check(od.jwks()));
    });

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
        else io.out((await lineage()).renderTrace(tree) + '\n');
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
    .description('verify an entry offline: its proof against the signed checkpoint, with the domain\'s public key only')
    .option('--jwks <file>', 'JWKS file (default: this data home\'s public key)')
    .action(async (file, opts, cmd) => {
      const proof = JSON.parse(readFileSync(resolve(file), 'utf8'));
      const check = async (jwks: { keys: any[] }) => {
        const r = await (await lineage()).verifyEntryProof(proof, jwks);
        json(io, r);
        if (!r.ok) io.exitCode = 1;
      };
      if (opts.jwks) await check(JSON.parse(readFileSync(resolve(opts.jwks), 'utf8')));
      else await withDomain(g(cmd), async (od) => check(od.jwks()));
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
  lin.command('checkpoint').description('sign and print a checkpoint of the log as it is now').action(async (_o, cmd) => withDomain(g(cmd), async (od) => json(io, await od.lineage.checkpoint())));

  const ten = program.command('tenant').description('authorizations (tenants): create, list, lifecycle');
  registerUsageCommand(ten, io);
  ten
    .command('create')
    .requiredOption('--file <spec.json>', 'authorization spec: {id, org, scenarios, grants, justification, emergencyPlan, termEnd, overrides?, limits?, thresholds?}')
    .option('--no-provision', 'record it without building the masked files')
    .action(async (opts, cmd) =>
      withDomain(g(cmd), async (od) => {
        const spec = JSON.parse(readFileSync(resolve(opts.file), 'utf8'));
        json(io, await od.tenants.create(await caller(od, g(cmd)), spec, { provision: opts.provision }));
      }),
    );
  ten
    .command('build <id>')
    .description('(re)build the masked prod and dev files from the current raw store (administrators)')
    .action(async (id, _o, cmd) =>
      withDomain(g(cmd), async (od) => json(io, await od.tenants.build(await caller(od, g(cmd)), id))),
    );
  ten.command('list').action(async (_o, cmd) => withDomain(g(cmd), async (od) => json(io, od.tenants.list(await caller(od, g(cmd))))));
  ten.command('show <id>').action(async (id, _o, cmd) => withDomain(g(cmd), async (od) => json(io, od.tenants.get(await caller(od, g(cmd)), id))));
  for (const action of ['suspend', 'resume', 'terminate', 'seal', 'destroy'] as const satisfies readonly TenantAction[]) {
    ten
      .command(`${action} <id>`)
      .option('--reason <text>', action === 'resume' ? 'why' : 'why (required; recorded in the audit log)')
      .action(async (id, opts, cmd) =>
        withDomain(g(cmd), async (od) => json(io, od.tenants.transition(await caller(od, g(cmd)), id, action, opts.reason))),
      );
  }

  ten
    .command('level <id> <level>')
    .description('the administrative level the authorization sits at: province, city or county')
    .action(async (id, level, _o, cmd) => withDomain(g(cmd), async (od) => json(io, od.tenants.setLevel(await caller(od, g(cmd)), id, level))));
  ten
    .command('plan <id>')
    .description('record the authorization\'s emergency plan (一授权一预案; required before activation)')
    .requiredOption('--file <plan.json>', '{summary, contact, approvedAt}')
    .action(async (id, opts, cmd) =>
      withDomain(g(cmd), async (od) => json(io, od.tenants.setEmergencyPlan(await caller(od, g(cmd)), id, JSON.parse(readFileSync(resolve(opts.file), 'utf8'))))),
    );
  const risk = program.command('risk').description('risk stops (R19, R29): stop an authorization\'s processing until the authority resolves it');
  risk
    .command('raise')
    .requiredOption('--tenant <id>', 'the authorization')
    .requiredOption('--reason <text>', 'what was found (10 to 4000 characters)')
    .description('stop the authorization\'s running jobs and hold new ones')
    .action(async (opts, cmd) => withDomain(g(cmd), async (od) => json(io, od.risks.raise(await caller(od, g(cmd)), opts.tenant, opts.reason))));
  risk.command('list').option('--tenant <id>').action(async (opts, cmd) => withDomain(g(cmd), async (od) => json(io, od.risks.list(await caller(od, g(cmd)), opts.tenant))));
  for (const action of ['confirm', 'resolve', 'dismiss'] as const) {
    risk
      .command(`${action} <riskStopId>`)
      .requiredOption('--resolution <text>', 'what was done (10 to 4000 characters)')
      .action(async (id, opts, cmd) => withDomain(g(cmd), async (od) => json(io, od.risks.decide(await caller(od, g(cmd)), id, action, opts.resolution))));
  }

  program
    .command('supervise')
    .description('the authority\'s view of every domain: state, term, people, jobs, requests, audit activity (admin, security)')
    .action(async (_o, cmd) => withDomain(g(cmd), async (od) => json(io, od.supervision.overview(await caller(od, g(cmd))))));

  const ppl = program.command('people').description('users of the domain: registration, real-name verification, confidentiality agreements (R22)');
  ppl.command('list').option('--tenant <id>').action(async (opts, cmd) => withDomain(g(cmd), async (od) => json(io, od.people.list(await caller(od, g(cmd)), opts))));
  ppl.command('show <name>').action(async (name, _o, cmd) => withDomain(g(cmd), async (od) => json(io, od.people.get(await caller(od, g(cmd)), name))));
  ppl
    .command('add <name>')
    .description('register a user (administrators)')
    .requiredOption('--role <role>', 'operator, reviewer, security or admin')
    .requiredOption('--display <text>', 'real name as shown')
    .option('--tenant <id>', 'the authorization an operator belongs to')
    .option('--verified', 'real-name verification done')
    .option('--agreement-until <date>', 'end of the signed confidentiality agreement')
    .action(async (name, opts, cmd) =>
      withDomain(g(cmd), async (od) =>
        json(io, od.people.register(await caller(od, g(cmd)), { name, role: opts.role, display: opts.display, tenant: opts.tenant ?? null, verified: Boolean(opts.verified), agreementUntil: opts.agreementUntil ?? null })),
      ),
    );
  ppl
    .command('update <name>')
    .description('record real-name verification or a confidentiality agreement (administrators)')
    .option('--verified <yes|no>')
    .option('--agreement-until <date>', 'new end of the confidentiality agreement ("none" to clear)')
    .option('--level <level>', 'province, city or county (who may consent to province data flowing down)')
    .action(async (name, opts, cmd) =>
      withDomain(g(cmd), async (od) => {
        const changes = {
          ...(opts.level !== undefined ? { level: opts.level } : {}),
          ...(opts.verified !== undefined ? { verified: opts.verified === 'yes' ? true : opts.verified === 'no' ? false : opts.verified } : {}),
          ...(opts.agreementUntil !== undefined ? { agreementUntil: opts.agreementUntil === 'none' ? null : opts.agreementUntil } : {}),
        };
        json(io, od.people.update(await caller(od, g(cmd)), name, changes));
      }),
    );
  ppl
    .command('disable <name>')
    .description('stop a person from acting; every token of theirs is refused at once (administrators)')
    .requiredOption('--reason <text>', 'why (recorded in the audit log)')
    .action(async (name, opts, cmd) => withDomain(g(cmd), async (od) => json(io, od.people.disable(await caller(od, g(cmd)), name, opts.reason))));
  ppl
    .command('enable <name>')
    .description('let a disabled person act again (administrators)')
    .option('--reason <text>', 'a comment for the record')
    .action(async (name, opts, cmd) => withDomain(g(cmd), async (od) => json(io, od.people.enable(await caller(od, g(cmd)), name, opts.reason))));
  ten
    .command('thresholds <id>')
    .description('set an authorization\'s export thresholds (never below the floor; administrators)')
    .requiredOption('--set <json>', 'e.g. \'{"minCellCount": 20}\'')
    .action(async (id, opts, cmd) => withDomain(g(cmd), async (od) => json(io, od.tenants.setThresholds(await caller(od, g(cmd)), id, parseJson(opts.set)))));
  program
    .command('thresholds')
    .description('the domain\'s floor for export thresholds: show it, or raise it with --set (administrators)')
    .option('--set <json>', 'e.g. \'{"minCellCount": 15, "dominanceK": 0.8}\'')
    .action(async (opts, cmd) =>
      withDomain(g(cmd), async (od) => {
        const p = await caller(od, g(cmd));
        json(io, opts.set ? od.tenants.setThresholdFloor(p, parseJson(opts.set)) : od.tenants.thresholdFloor(p));
      }),
    );

  registerDatasetCommands(program, io);
  registerProductCommands(program, io);
  registerAuthorityCommands(program, io);
  registerImportCommands(program, io);
  registerPrivacyCommands(program, io);
  registerNotificationCommands(program, io);
  return program;
}

/** Runs the CLI; returns the exit code. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new OpError('BAD_REQUEST', 'not valid JSON');
  }
}

export async function runCli(argv: readonly string[], io: CliIO): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return io.exitCode ?? 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    const e = toOpError(err);
    const message = e.code === 'INTERNAL' ? `${e.message}: ${String((err as Error)?.message ?? err).split('\n')[0]}` : e.message;
    io.out(JSON.stringify({ ok: false, error: { code: e.code, class: e.errorClass, message, ...(e.details && e.status < 500 ? { details: e.details } : {}) } }, null, 2) + '\n');
    io.err(`${e.code}: ${message}\n`);
    return 1;
  }
}
