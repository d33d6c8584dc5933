// `opdomain run` (a script in dev or prod, with parameters and a manifest) and `opdomain jobs`.
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { OpError } from '../../errors/index.ts';
import { caller, globals as g, json, withDomain, type CliIO } from './context.ts';

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

export function registerJobCommands(program: Command, io: CliIO): void {
  program
    .command('run <script>')
    .description('run an analysis script in the sandbox; prints {ok, jobId, outputs, logs, error?}')
    .requiredOption('--tenant <id>', 'the authorization to run in')
    .addOption(new Option('--env <env>', 'dev (sampled) or prod (full, quiet)').choices(['dev', 'prod']).default('dev'))
    .option('--param <key=value>', 'a job parameter (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--params <json>', 'job parameters as a JSON object')
    .option(
      '--manifest <file>',
      'the outputs the job declares (JSON: {"outputs": [{"name", "columns": [{"name", "type"}]}]}); a prod reply speaks only of these',
    )
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
        const result = await od.jobs.run(await caller(od, g(cmd)), {
          tenant: opts.tenant,
          env: opts.env,
          script: text,
          params: parseParams(opts.param, opts.params),
          ...(manifest ? { manifest } : {}),
        });
        if (opts.writeManifest && result.ok && result.env === 'dev') {
          const blind = result.outputs.find((o) => o.columns.length === 0);
          if (blind) throw new OpError('BAD_REQUEST', `dev output "${blind.name}" has no rows, so its columns are unknown: write its manifest entry by hand`);
          writeFileSync(
            resolve(opts.writeManifest),
            `${JSON.stringify({ outputs: result.outputs.map((o) => ({ name: o.name, columns: o.columns })) }, null, 2)}\n`,
          );
        }
        json(io, result);
        if (!result.ok) io.exitCode = 1;
      });
    });

  const jobs = program.command('jobs').description('list and inspect jobs');
  jobs
    .command('list')
    .option('--tenant <id>')
    .action(async (opts, cmd) => withDomain(g(cmd), async (od) => json(io, od.jobs.list(await caller(od, g(cmd)), opts.tenant))));
  jobs
    .command('cancel <jobId>')
    .description('stop a running job (its worker is killed)')
    .action(async (id, _o, cmd) => withDomain(g(cmd), async (od) => json(io, od.jobs.cancel(await caller(od, g(cmd)), id))));
  jobs.command('show <jobId>').action(async (id, _o, cmd) => withDomain(g(cmd), async (od) => json(io, od.jobs.job(await caller(od, g(cmd)), id))));
}
