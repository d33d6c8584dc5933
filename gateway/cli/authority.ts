// `opdomain governance …`, `opdomain demand …`, `opdomain report …` and the records of drills
// and training: the authority's workflows from the command line (the same core as the HTTP API).
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { OpError } from '../../errors/index.ts';
import { caller, json, readJsonFile, withDomain, type CliIO, globals as g } from './context.ts';

const year = (v: string): number => {
  if (!/^\d{4}$/.test(v)) throw new OpError('BAD_REQUEST', 'year must be a calendar year');
  return Number(v);
};

function governanceCommands(program: Command, io: CliIO): void {
  const gov = program
    .command('governance')
    .description('governance requests (R17): data-quality problems, assigned to the providing department with a deadline');
  gov
    .command('report')
    .requiredOption('--dataset <id>')
    .option('--field <name>')
    .requiredOption('--problem <text>')
    .option('--job <jobId>', 'a job whose output shows the problem (it stays in the domain)')
    .option('--output <name>')
    .action(async (o: { dataset: string; field?: string; problem: string; job?: string; output?: string }, cmd) =>
      withDomain(g(cmd), async (od) =>
        json(
          io,
          od.governance.report(await caller(od, g(cmd)), {
            dataset: o.dataset,
            field: o.field,
            problem: o.problem,
            ...(o.job ? { evidence: { jobId: o.job, output: o.output } } : {}),
          }),
        ),
      ),
    );
  gov
    .command('list')
    .option('--tenant <id>')
    .option('--state <state>')
    .option('--overdue')
    .action(async (o: { tenant?: string; state?: string; overdue?: boolean }, cmd) =>
      withDomain(g(cmd), async (od) =>
        json(
          io,
          od.governance.list(await caller(od, g(cmd)), {
            ...(o.tenant ? { tenant: o.tenant } : {}),
            ...(o.state ? { state: o.state } : {}),
            overdue: !!o.overdue,
          }),
        ),
      ),
    );
  gov.command('show <id>').action(async (id: string, _o, cmd) => withDomain(g(cmd), async (od) => json(io, od.governance.get(await caller(od, g(cmd)), id))));
  gov
    .command('assign <id>')
    .requiredOption('--department <name>')
    .requiredOption('--deadline <date>')
    .action(async (id: string, o: Record<string, string>, cmd) =>
      withDomain(g(cmd), async (od) => json(io, od.governance.act(await caller(od, g(cmd)), id, 'assign', o))),
    );
  gov
    .command('resolve <id>')
    .requiredOption('--resolution <text>')
    .requiredOption('--version <n>', 'the dataset version that fixed it')
    .action(async (id: string, o: { resolution: string; version: string }, cmd) =>
      withDomain(g(cmd), async (od) =>
        json(io, od.governance.act(await caller(od, g(cmd)), id, 'resolve', { resolution: o.resolution, fixedVersion: Number(o.version) })),
      ),
    );
  gov
    .command('reject <id>')
    .requiredOption('--reason <text>')
    .action(async (id: string, o: { reason: string }, cmd) =>
      withDomain(g(cmd), async (od) => json(io, od.governance.act(await caller(od, g(cmd)), id, 'reject', o))),
    );
  gov
    .command('withdraw <id>')
    .action(async (id: string, _o, cmd) => withDomain(g(cmd), async (od) => json(io, od.governance.act(await caller(od, g(cmd)), id, 'withdraw'))));
}

function demandCommands(program: Command, io: CliIO): void {
  const dem = program.command('demand').description('data demand lists (R20): what an authorization needs, item by item, with the scenario that justifies it');
  dem
    .command('file <itemsFile>')
    .description('file a list from JSON: {"items": [{"dataset", "fields"?, "scenario", "justification"}]}')
    .action(async (file: string, _o, cmd) => withDomain(g(cmd), async (od) => json(io, od.demands.file(await caller(od, g(cmd)), readJsonFile(file)))));
  dem
    .command('list')
    .option('--tenant <id>')
    .action(async (o: { tenant?: string }, cmd) => withDomain(g(cmd), async (od) => json(io, od.demands.list(await caller(od, g(cmd)), o.tenant))));
  dem.command('show <id>').action(async (id: string, _o, cmd) => withDomain(g(cmd), async (od) => json(io, od.demands.get(await caller(od, g(cmd)), id))));
  dem
    .command('approve <id> <item>')
    .description('approve one item (0-based)')
    .action(async (id: string, item: string, _o, cmd) =>
      withDomain(g(cmd), async (od) => json(io, od.demands.decide(await caller(od, g(cmd)), id, Number(item), 'approve', undefined))),
    );
  dem
    .command('refuse <id> <item>')
    .requiredOption('--reason <text>')
    .action(async (id: string, item: string, o: { reason: string }, cmd) =>
      withDomain(g(cmd), async (od) => json(io, od.demands.decide(await caller(od, g(cmd)), id, Number(item), 'refuse', o.reason))),
    );
  dem
    .command('apply <id>')
    .description("add the approved items to the authorization's grants (delivered at the next build)")
    .action(async (id: string, _o, cmd) => withDomain(g(cmd), async (od) => json(io, od.demands.apply(await caller(od, g(cmd)), id))));
  dem
    .command('withdraw <id>')
    .action(async (id: string, _o, cmd) => withDomain(g(cmd), async (od) => json(io, od.demands.withdraw(await caller(od, g(cmd)), id))));
}

function reportCommands(program: Command, io: CliIO): void {
  const rep = program.command('report').description("the yearly operation report (R26) and the authority's evaluation (R30)");
  rep
    .command('market <tenant> <year> <file>')
    .description('the operator fills in the market operation: {"items": [{"name", "price", "revenue"}], "notes"}')
    .action(async (t: string, y: string, file: string, _o, cmd) =>
      withDomain(g(cmd), async (od) => json(io, od.reports.setMarket(await caller(od, g(cmd)), t, year(y), readJsonFile(file)))),
    );
  rep
    .command('generate <tenant> <year>')
    .description('write the report (HTML and PDF) with its signed manifest')
    .action(async (t: string, y: string, _o, cmd) =>
      withDomain(g(cmd), async (od) => {
        const r = await od.reports.generate(await caller(od, g(cmd)), t, year(y));
        json(io, { tenant: r.tenant, year: r.year, files: r.files, facts: r.facts });
      }),
    );
  rep
    .command('get <tenant> <year>')
    .option('--pdf <file>', 'write the PDF here')
    .option('--html <file>', 'write the HTML here')
    .action(async (t: string, y: string, o: { pdf?: string; html?: string }, cmd) =>
      withDomain(g(cmd), async (od) => {
        const r = od.reports.get(await caller(od, g(cmd)), t, year(y));
        if (o.pdf) writeFileSync(o.pdf, r.pdf);
        if (o.html) writeFileSync(o.html, r.html);
        json(io, { manifest: JSON.parse(r.manifest) as unknown, jws: r.jws });
      }),
    );
  rep
    .command('evaluate <tenant> <year>')
    .requiredOption('--score <n>', "the reviewers' score, 0–100")
    .requiredOption('--notes <text>')
    .action(async (t: string, y: string, o: { score: string; notes: string }, cmd) =>
      withDomain(g(cmd), async (od) => json(io, od.reports.evaluate(await caller(od, g(cmd)), t, year(y), { score: Number(o.score), notes: o.notes }))),
    );
  rep
    .command('evaluations')
    .requiredOption('--org <name>')
    .action(async (o: { org: string }, cmd) => withDomain(g(cmd), async (od) => json(io, od.reports.evaluations(await caller(od, g(cmd)), o.org))));
}

function recordCommands(program: Command, io: CliIO): void {
  const drill = program.command('drill').description("emergency drills (R29): recorded exercises of an authorization's plan");
  drill
    .command('record <tenant>')
    .requiredOption('--held-on <date>')
    .requiredOption('--scenario <text>')
    .requiredOption('--participants <names>', 'comma-separated')
    .requiredOption('--findings <text>')
    .action(async (t: string, o: { heldOn: string; scenario: string; participants: string; findings: string }, cmd) =>
      withDomain(g(cmd), async (od) =>
        json(
          io,
          od.records.recordDrill(await caller(od, g(cmd)), t, {
            ...o,
            participants: o.participants
              .split(',')
              .map((x) => x.trim())
              .filter(Boolean),
          }),
        ),
      ),
    );
  drill
    .command('list <tenant>')
    .action(async (t: string, _o, cmd) => withDomain(g(cmd), async (od) => json(io, od.records.drills(await caller(od, g(cmd)), t))));
  const training = program.command('training').description('pre-job training (R22): a condition for acting where the domain requires it');
  training
    .command('record <person>')
    .requiredOption('--course <text>')
    .requiredOption('--taken-on <date>')
    .requiredOption('--expires-on <date>')
    .action(async (name: string, o: { course: string; takenOn: string; expiresOn: string }, cmd) =>
      withDomain(g(cmd), async (od) => json(io, od.records.recordTraining(await caller(od, g(cmd)), name, o))),
    );
  training
    .command('list <person>')
    .action(async (name: string, _o, cmd) => withDomain(g(cmd), async (od) => json(io, od.records.trainings(await caller(od, g(cmd)), name))));
  training
    .command('require <onOff>')
    .description('on: nobody acts without current training; off: training is recorded only')
    .action(async (v: string, _o, cmd) => {
      if (v !== 'on' && v !== 'off') throw new OpError('BAD_REQUEST', 'say on or off');
      return withDomain(g(cmd), async (od) => json(io, od.records.setTrainingRequired(await caller(od, g(cmd)), v === 'on')));
    });
}

export function registerAuthorityCommands(program: Command, io: CliIO): void {
  governanceCommands(program, io);
  demandCommands(program, io);
  reportCommands(program, io);
  recordCommands(program, io);
}
