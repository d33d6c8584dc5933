// `opdomain datasets list|show|generate|import`: the public-data catalog and the raw store.
// list and show answer from a read-only look at the home without loading the runtime.
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { CatalogEntryView } from '../../services/catalogView.ts';
import { caller, json, withDomain, type CliIO, globals as g } from './context.ts';

// Loaded when a command runs, so that `opdomain --help` does not compile the catalog's schema.
const catalogView = () => import('../../services/catalogView.ts');

const summary = (d: CatalogEntryView) => ({
  id: d.id,
  title: d.title,
  department: d.department,
  updateFrequency: d.updateFrequency,
  grade: d.grade,
  openness: d.openness,
  fields: d.fields.length,
  version: d.version,
  rowCount: d.rowCount,
});

/** A progress bar on an interactive terminal; cli-progress loads only then. */
export async function progressBar(io: CliIO) {
  if (!io.tty) return { update: (_s: string, _d: number, _t: number) => undefined, stop: () => undefined };
  const { default: cliProgress } = await import('cli-progress');
  const bar = new cliProgress.SingleBar(
    { format: 'generating {step} [{bar}] {value}/{total}', clearOnComplete: true, stream: process.stderr },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update: (step: string, done: number, total: number) => {
      if (!started) {
        bar.start(total, 0, { step });
        started = true;
      }
      bar.update(done, { step });
    },
    stop: () => started && bar.stop(),
  };
}

export function registerDatasetCommands(program: Command, io: CliIO): void {
  const ds = program.command('datasets').description('the public-data catalog and sample data');
  ds.command('list')
    .description('the catalog: every dataset with its current version and row count')
    .action(async (_o, cmd) => json(io, (await catalogView()).readPublicCatalog(g(cmd).home).map(summary)));
  ds.command('show <id>')
    .description('one catalog entry with all its fields')
    .action(async (id: string, _o, cmd) => {
      // An authorization's own dataset is known only to an open home; public entries are not.
      const pub = (await catalogView()).readPublicCatalog(g(cmd).home).find((d) => d.id === id);
      return pub ? json(io, pub) : withDomain(g(cmd), async (od) => json(io, od.catalog.show(id)));
    });
  ds.command('generate')
    .description(`(re)generate the raw store with sample data (--scale people, 100 to 20 million; administrators)`)
    .option('--scale <n>', 'number of people', (v) => Number(v), 5000)
    .option('--seed <n>', 'random seed', (v) => Number(v), 20230901)
    .action(async (opts, cmd) =>
      withDomain(g(cmd), async (od) => {
        const who = g(cmd).as !== undefined || process.env.OPDOMAIN_TOKEN ? await caller(od, g(cmd)) : null;
        const bar = await progressBar(io);
        const started = Date.now();
        const recorded = await od.catalog.generate(who, { scale: opts.scale, seed: opts.seed, onProgress: bar.update });
        bar.stop();
        json(io, { rawStore: od.ctx.paths.rawDb, seconds: (Date.now() - started) / 1000, datasets: recorded });
      }),
    );
  ds.command('import')
    .description("load a department's CSV or Parquet file as a new version of a dataset (administrators)")
    .requiredOption('--catalog <id>', 'the catalog entry the file must fit')
    .requiredOption('--file <path>', 'a .csv (with a header row) or .parquet file')
    .action(async (opts, cmd) =>
      withDomain(g(cmd), async (od) => json(io, await od.catalog.import(await caller(od, g(cmd)), opts.catalog, resolve(opts.file)))),
    );
}
