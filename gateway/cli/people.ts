// `opdomain people`: register, verify, agreements, levels, disable and enable (R22).
import type { Command } from 'commander';
import { caller, globals as g, json, withDomain, type CliIO } from './context.ts';

export function registerPeopleCommands(program: Command, io: CliIO): void {
  const ppl = program.command('people').description('users of the domain: registration, real-name verification, confidentiality agreements (R22)');
  ppl
    .command('list')
    .option('--tenant <id>')
    .action(async (opts, cmd) => withDomain(g(cmd), async (od) => json(io, od.people.list(await caller(od, g(cmd)), opts))));
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
        json(
          io,
          od.people.register(await caller(od, g(cmd)), {
            name,
            role: opts.role,
            display: opts.display,
            tenant: opts.tenant ?? null,
            verified: Boolean(opts.verified),
            agreementUntil: opts.agreementUntil ?? null,
          }),
        ),
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
}
