// `opdomain import …` (operators' own data, R13) and `opdomain tenant usage …` (column usage
// levels): the same core as the HTTP API.
import type { Command } from 'commander';
import { caller, json, readJsonFile, withDomain, type CliIO, globals as g } from './context.ts';

export function registerImportCommands(program: Command, io: CliIO): void {
  const imp = program.command('import').description("operators' own data (R13): declare, upload, approve; loaded masked into the authorization's files");
  imp
    .command('request')
    .description('declare a dataset of your own (a JSON file: name, title, fields, lawfulBasis, consentRef) and, with --file, upload it')
    .requiredOption('--spec <file.json>')
    .option('--file <data.csv|data.parquet>')
    .option('--tenant <id>')
    .option('--scenario <id>')
    .option('--justification <text>', 'why the data is needed (or "justification" in the spec file)')
    .action(async (o: { spec: string; file?: string; tenant?: string; scenario?: string; justification?: string }, cmd) =>
      withDomain(g(cmd), async (od) => {
        const p = await caller(od, g(cmd));
        const spec = readJsonFile(o.spec);
        const req = od.imports.request(p, {
          tenant: o.tenant ?? spec.tenant,
          declaration: spec,
          scenario: o.scenario ?? spec.scenario,
          justification: o.justification ?? spec.justification,
        });
        json(io, o.file ? await od.imports.upload(p, req.id, o.file) : req);
      }),
    );
  imp
    .command('upload <id> <file>')
    .description('upload (again) the file of a draft, returned or failed request')
    .action(async (id: string, file: string, _o, cmd) =>
      withDomain(g(cmd), async (od) => json(io, await od.imports.upload(await caller(od, g(cmd)), id, file))),
    );
  imp
    .command('list')
    .option('--tenant <id>')
    .option('--state <state>')
    .action(async (o: { tenant?: string; state?: string }, cmd) => withDomain(g(cmd), async (od) => json(io, od.imports.list(await caller(od, g(cmd)), o))));
  imp.command('show <id>').action(async (id: string, _o, cmd) => withDomain(g(cmd), async (od) => json(io, od.imports.show(await caller(od, g(cmd)), id))));
  for (const decision of ['approve', 'return'] as const) {
    imp
      .command(`${decision} <id>`)
      .option('--comment <text>', decision === 'approve' ? 'a note for the record' : 'why (required)')
      .action(async (id: string, o: { comment?: string }, cmd) =>
        withDomain(g(cmd), async (od) => json(io, await od.imports.vote(await caller(od, g(cmd)), id, decision, o.comment))),
      );
  }
  imp
    .command('withdraw <id>')
    .action(async (id: string, _o, cmd) => withDomain(g(cmd), async (od) => json(io, od.imports.withdraw(await caller(od, g(cmd)), id))));
}

export function registerUsageCommand(tenant: Command, io: CliIO): void {
  tenant
    .command('usage <id>')
    .description("tighten a field's column usage level (plaintext, join_key, group_by, compare, aggregate, encrypted) and rebuild the files")
    .requiredOption('--field <dataset.field>')
    .option('--sandbox <level>')
    .option('--export <level>')
    .action(async (id: string, o: { field: string; sandbox?: string; export?: string }, cmd) =>
      withDomain(g(cmd), async (od) =>
        json(
          io,
          await od.tenants.setUsage(await caller(od, g(cmd)), id, {
            [o.field]: { ...(o.sandbox ? { sandbox: o.sandbox } : {}), ...(o.export ? { export: o.export } : {}) },
          }),
        ),
      ),
    );
}
