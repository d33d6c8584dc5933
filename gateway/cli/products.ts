// `opdomain product …` and `opdomain consumer …`: data products as APIs from the command line,
// the same core operations as /api/products, /api/consumers and /api/grants.
import type { Command } from 'commander';
import { OpError } from '../../errors/index.ts';
import { caller, json, readJsonFile, withDomain, type CliIO, globals as g } from './context.ts';

/** `people-by-county/v2`, `people-by-county/2`, `people-by-county@2` or `people-by-county 2` → product and version. */
function versionRef(ref: string, n?: string): { product: string; version: number } {
  const m = /^([a-z][a-z0-9-]{1,47})(?:\/v?|@)([1-9]\d{0,6})$/.exec(n === undefined ? ref : `${ref}/${n.replace(/^v/, '')}`);
  if (!m) throw new OpError('BAD_REQUEST', `name a version as PRODUCT/vN (e.g. people-by-county/v1), got "${ref.slice(0, 80)}"`);
  return { product: m[1]!, version: Number(m[2]) };
}

const int = (v: string | undefined, what: string): number | undefined => {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new OpError('BAD_REQUEST', `${what} must be a whole number`);
  return Number(v);
};

function productCommands(program: Command, io: CliIO): void {
  const prod = program.command('product').description('data products as APIs (R5): propose a template, review it, revoke it, see its calls');
  prod
    .command('propose [specFile]')
    .description('propose a product version from a JSON file (- for stdin): product, title, scenario, sql, parameters, columns, unit, controls, price')
    .option('--file <specFile>', 'the same, as an option')
    .action(async (file: string | undefined, o: { file?: string }, cmd) => {
      const path = file ?? o.file;
      if (!path) throw new OpError('BAD_REQUEST', 'name the spec file: product propose spec.json');
      return withDomain(g(cmd), async (od) => json(io, await od.products.propose(await caller(od, g(cmd)), readJsonFile(path, 'PRODUCT_INVALID'))));
    });
  prod
    .command('list')
    .option('--state <state>', 'only versions in this state (submitted, in_review, approved, …)')
    .option('--product <id>')
    .action(async (opts, cmd) => withDomain(g(cmd), async (od) => json(io, od.products.list(await caller(od, g(cmd)), opts))));
  prod
    .command('show <version> [n]')
    .description('one version (PRODUCT/vN) with its report and the actions you have')
    .action(async (ref: string, n: string | undefined, _o, cmd) =>
      withDomain(g(cmd), async (od) => {
        const v = versionRef(ref, n);
        json(io, od.products.get(await caller(od, g(cmd)), v.product, v.version));
      }),
    );
  for (const decision of ['approve', 'return', 'reject'] as const) {
    prod
      .command(`${decision} <version> [n]`)
      .option('--comment <text>', 'why (required to return or reject)')
      .action(async (ref: string, n: string | undefined, opts: { comment?: string }, cmd) =>
        withDomain(g(cmd), async (od) => {
          const v = versionRef(ref, n);
          json(io, od.products.decide(await caller(od, g(cmd)), v.product, v.version, decision, opts.comment));
        }),
      );
  }
  prod.command('withdraw <version> [n]').action(async (ref: string, n: string | undefined, _o, cmd) =>
    withDomain(g(cmd), async (od) => {
      const v = versionRef(ref, n);
      json(io, od.products.withdraw(await caller(od, g(cmd)), v.product, v.version));
    }),
  );
  prod
    .command('revoke <version> [n]')
    .option('--reason <text>', 'why (required)')
    .action(async (ref: string, n: string | undefined, opts: { reason?: string }, cmd) =>
      withDomain(g(cmd), async (od) => {
        const v = versionRef(ref, n);
        json(io, od.products.revoke(await caller(od, g(cmd)), v.product, v.version, opts.reason));
      }),
    );
  prod
    .command('calls')
    .description('calls as the audit log records them, newest first')
    .option('--consumer <id>')
    .option('--product <id>')
    .option('--limit <n>')
    .action(async (opts: { consumer?: string; product?: string; limit?: string }, cmd) =>
      withDomain(g(cmd), async (od) => {
        const limit = int(opts.limit, '--limit');
        json(
          io,
          od.productCalls.recentFor(await caller(od, g(cmd)), {
            ...(opts.consumer ? { consumer: opts.consumer } : {}),
            ...(opts.product ? { product: opts.product } : {}),
            ...(limit ? { limit } : {}),
          }),
        );
      }),
    );
  prod
    .command('activity')
    .description('per consumer over the last hours: calls, distinct parameter sets, refusals, and what looks like walking the parameter space')
    .option('--hours <n>', 'default 24')
    .action(async (opts: { hours?: string }, cmd) =>
      withDomain(g(cmd), async (od) => json(io, od.productCalls.activity(await caller(od, g(cmd)), int(opts.hours, '--hours')))),
    );
}

function consumerCommands(program: Command, io: CliIO): void {
  const con = program.command('consumer').description('consumers of data products: organisations, their API keys and grants (administrators)');
  con
    .command('add <id>')
    .requiredOption('--name <organisation>')
    .option('--contact <text>')
    .action(async (id: string, opts: { name: string; contact?: string }, cmd) =>
      withDomain(g(cmd), async (od) => json(io, od.consumers.add(await caller(od, g(cmd)), { id, ...opts }))),
    );
  con.command('list').action(async (_o, cmd) => withDomain(g(cmd), async (od) => json(io, od.consumers.list(await caller(od, g(cmd))))));
  con
    .command('key <id>')
    .description('issue an API key (printed once; the domain keeps only its hash)')
    .option('--days <n>', 'valid for this many days (default 90, at most 365)')
    .action(async (id: string, opts: { days?: string }, cmd) =>
      withDomain(g(cmd), async (od) => json(io, od.consumers.issueKey(await caller(od, g(cmd)), id, { days: int(opts.days, '--days') }))),
    );
  con
    .command('revoke-key <keyId>')
    .option('--reason <text>', 'why (required)')
    .action(async (keyId: string, o: { reason?: string }, cmd) =>
      withDomain(g(cmd), async (od) => json(io, od.consumers.revokeKey(await caller(od, g(cmd)), keyId, o.reason))),
    );
  con
    .command('grant <id> <version> [n]')
    .description('grant consumer <id> a served version (PRODUCT/vN) for its scenario, with quotas')
    .option('--days <n>', "validity in days (default 365; never past the authorization's term)")
    .option('--per-minute <n>', 'calls a minute (default 60)')
    .option('--per-day <n>', 'calls a day (default 10000)')
    .option('--rows-per-day <n>', 'rows a day (default 100000)')
    .action(async (id: string, ref: string, n: string | undefined, opts: Record<string, string | undefined>, cmd) =>
      withDomain(g(cmd), async (od) => {
        const v = versionRef(ref, n);
        const q = {
          days: int(opts.days, '--days'),
          perMinute: int(opts.perMinute, '--per-minute'),
          perDay: int(opts.perDay, '--per-day'),
          rowsPerDay: int(opts.rowsPerDay, '--rows-per-day'),
        };
        const defined = Object.fromEntries(Object.entries(q).filter(([, x]) => x !== undefined));
        json(io, od.consumers.grant(await caller(od, g(cmd)), { consumer: id, product: v.product, version: v.version, ...defined }));
      }),
    );
  con
    .command('grants')
    .option('--consumer <id>')
    .action(async (opts: { consumer?: string }, cmd) =>
      withDomain(g(cmd), async (od) => json(io, od.consumers.grantsFor(await caller(od, g(cmd)), opts.consumer))),
    );
  con
    .command('revoke <id>')
    .description('revoke a consumer (every key stops), a grant (grt_…) or a key (its 16-hex id)')
    .option('--reason <text>', 'why (required)')
    .action(async (id: string, opts: { reason?: string }, cmd) =>
      withDomain(g(cmd), async (od) => {
        const p = await caller(od, g(cmd));
        if (id.startsWith('grt_')) return json(io, od.consumers.revokeGrant(p, id, opts.reason));
        if (/^[a-f0-9]{16}$/.test(id)) return json(io, od.consumers.revokeKey(p, id, opts.reason));
        return json(io, od.consumers.revoke(p, id, opts.reason));
      }),
    );
  con
    .command('revoke-grant <grantId>')
    .option('--reason <text>', 'why (required)')
    .action(async (id: string, o: { reason?: string }, cmd) =>
      withDomain(g(cmd), async (od) => json(io, od.consumers.revokeGrant(await caller(od, g(cmd)), id, o.reason))),
    );
}

export function registerProductCommands(program: Command, io: CliIO): void {
  productCommands(program, io);
  consumerCommands(program, io);
}
