// `opdomain tenant` (authorizations: create, build, lifecycle, level, plan, thresholds, usage),
// `opdomain supervise` and the domain's threshold floor.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { TenantAction } from '../../domain/index.ts';
import { caller, globals as g, json, parseJson, withDomain, type CliIO } from './context.ts';
import { registerUsageCommand } from './imports.ts';

export function registerAuthorizationCommands(program: Command, io: CliIO): void {
  const ten = program.command('tenant').description('authorizations (tenants): create, list, lifecycle');
  registerUsageCommand(ten, io);
  ten
    .command('create')
    .requiredOption(
      '--file <spec.json>',
      'authorization spec: {id, org, scenarios, grants, justification, emergencyPlan, termEnd, overrides?, limits?, thresholds?}',
    )
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
    .action(async (id, _o, cmd) => withDomain(g(cmd), async (od) => json(io, await od.tenants.build(await caller(od, g(cmd)), id))));
  ten.command('list').action(async (_o, cmd) => withDomain(g(cmd), async (od) => json(io, od.tenants.list(await caller(od, g(cmd))))));
  ten.command('show <id>').action(async (id, _o, cmd) => withDomain(g(cmd), async (od) => json(io, od.tenants.get(await caller(od, g(cmd)), id))));
  for (const action of ['suspend', 'resume', 'terminate', 'seal', 'destroy'] as const satisfies readonly TenantAction[]) {
    ten
      .command(`${action} <id>`)
      .option('--reason <text>', action === 'resume' ? 'why' : 'why (required; recorded in the audit log)')
      .action(async (id, opts, cmd) => withDomain(g(cmd), async (od) => json(io, od.tenants.transition(await caller(od, g(cmd)), id, action, opts.reason))));
  }

  ten
    .command('level <id> <level>')
    .description('the administrative level the authorization sits at: province, city or county')
    .action(async (id, level, _o, cmd) => withDomain(g(cmd), async (od) => json(io, od.tenants.setLevel(await caller(od, g(cmd)), id, level))));
  ten
    .command('plan <id>')
    .description("record the authorization's emergency plan (一授权一预案; required before activation)")
    .requiredOption('--file <plan.json>', '{summary, contact, approvedAt}')
    .action(async (id, opts, cmd) =>
      withDomain(g(cmd), async (od) =>
        json(io, od.tenants.setEmergencyPlan(await caller(od, g(cmd)), id, JSON.parse(readFileSync(resolve(opts.file), 'utf8')))),
      ),
    );
  ten
    .command('thresholds <id>')
    .description("set an authorization's export thresholds (never below the floor; administrators)")
    .requiredOption('--set <json>', 'e.g. \'{"minCellCount": 20}\'')
    .action(async (id, opts, cmd) => withDomain(g(cmd), async (od) => json(io, od.tenants.setThresholds(await caller(od, g(cmd)), id, parseJson(opts.set)))));
  program
    .command('thresholds')
    .description("the domain's floor for export thresholds: show it, or raise it with --set (administrators)")
    .option('--set <json>', 'e.g. \'{"minCellCount": 15, "dominanceK": 0.8}\'')
    .action(async (opts, cmd) =>
      withDomain(g(cmd), async (od) => {
        const p = await caller(od, g(cmd));
        json(io, opts.set ? od.tenants.setThresholdFloor(p, parseJson(opts.set)) : od.tenants.thresholdFloor(p));
      }),
    );

  program
    .command('supervise')
    .description("the authority's view of every domain: state, term, people, jobs, requests, audit activity (admin, security)")
    .action(async (_o, cmd) => withDomain(g(cmd), async (od) => json(io, od.supervision.overview(await caller(od, g(cmd))))));
}
