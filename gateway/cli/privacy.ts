// `opdomain psi --tenant ID --input FILE --column NAME` (the operator's side of a private set
// intersection) and `opdomain dp budget set|list` (privacy budgets). The identifiers are read and blinded in this process with a secret that never
// leaves it; only group elements go to the domain (in-process on this home, or --url over HTTP).
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Command } from 'commander';
import { OpError } from '../../errors/index.ts';
import type { PsiTransport } from '../../privacy/index.ts';
import type { Opdomain, Principal } from '../../services/index.ts';
import { caller, json, withDomain, type CliIO, globals as g } from './context.ts';

async function readColumn(file: string, column: string): Promise<string[]> {
  // Loaded here, not at start-up: every other command (and --help) would pay for DuckDB's bindings.
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const db = await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false', autoload_known_extensions: 'false' });
  const con = await db.connect();
  try {
    const lit = `'${file.replaceAll("'", "''")}'`;
    const src = file.toLowerCase().endsWith('.parquet') ? `read_parquet(${lit})` : `read_csv(${lit}, all_varchar = true, header = true)`;
    const cols = (await con.runAndReadAll(`DESCRIBE SELECT * FROM ${src}`)).getRowObjectsJS().map((r) => String(r.column_name));
    if (!cols.includes(column)) throw new OpError('BAD_REQUEST', `${file} has no column "${column}" (it has ${cols.join(', ')})`);
    return (await con.runAndReadAll(`SELECT "${column.replaceAll('"', '""')}"::VARCHAR AS v FROM ${src} WHERE "${column.replaceAll('"', '""')}" IS NOT NULL`))
      .getRows()
      .map((r) => String(r[0]));
  } catch (err) {
    if (err instanceof OpError) throw err;
    throw new OpError('BAD_REQUEST', `cannot read ${file}: ${String((err as Error).message).split('\n')[0]}`);
  } finally {
    con.closeSync();
    db.closeSync();
  }
}

function inProcess(od: Opdomain, p: Principal, start: Record<string, unknown>): PsiTransport {
  return {
    start: () => od.psi.start(p, start),
    blinded: (id, elements, mac) => od.psi.blinded(p, id, { elements, mac }),
    finish: (id, elements, mac) => od.psi.finish(p, id, { elements, mac }),
  };
}

/**
 * One JSON POST with no client-side timeout: the domain's answer to a large set takes minutes
 * (fetch would give up waiting for headers after 300 s).
 */
function postJson(target: URL, token: string, body: unknown): Promise<unknown> {
  const data = Buffer.from(JSON.stringify(body));
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      target,
      { method: 'POST', timeout: 0, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': data.length } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          try {
            const out = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { error?: { code: string; message: string } };
            if ((res.statusCode ?? 500) >= 400) reject(new OpError((out.error?.code ?? 'INTERNAL') as never, out.error?.message ?? `HTTP ${res.statusCode}`));
            else resolve(out);
          } catch {
            reject(new OpError('INTERNAL', `the domain answered HTTP ${res.statusCode} without JSON`));
          }
        });
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

function overHttp(url: string, start: Record<string, unknown>): PsiTransport {
  const token = process.env.OPDOMAIN_TOKEN;
  if (!token) throw new OpError('AUTH_REQUIRED', 'set $OPDOMAIN_TOKEN to talk to a domain over HTTP');
  const post = async (path: string, body: unknown) => (await postJson(new URL(path, url), token, body)) as never;
  return {
    start: () => post('/api/psi/sessions', start),
    blinded: (id, elements, mac) => post(`/api/psi/sessions/${id}/blinded`, { elements, mac }),
    finish: (id, elements, mac) => post(`/api/psi/sessions/${id}/finish`, { elements, mac }),
  };
}

export function registerPrivacyCommands(program: Command, io: CliIO): void {
  const budget = program
    .command('dp')
    .description('differential privacy (R14)')
    .command('budget')
    .description('privacy budgets per (dataset, authorization): set only by an administrator, audited');
  budget
    .command('set')
    .requiredOption('--tenant <id>')
    .requiredOption('--dataset <id>')
    .requiredOption('--epsilon <n>', 'the total', Number)
    .option('--delta <n>', 'the total δ (default 1e-5)', Number)
    .option('--per-query <n>', 'the largest ε one aggregate may take', Number)
    .requiredOption('--reason <text>')
    .action(async (o: { tenant: string; dataset: string; epsilon: number; delta?: number; perQuery?: number; reason: string }, cmd) =>
      withDomain(g(cmd), async (od) => json(io, od.dp.set(await caller(od, g(cmd)), o))),
    );
  budget
    .command('list')
    .option('--tenant <id>')
    .action(async (o: { tenant?: string }, cmd) => withDomain(g(cmd), async (od) => json(io, od.dp.list(await caller(od, g(cmd)), o.tenant))));

  program
    .command('psi')
    .description('private set intersection (R14): which of your identifiers are in the public data, materialised as a table of tokens in your files only')
    .requiredOption('--tenant <id>')
    .requiredOption('--input <file>', 'CSV (with a header) or Parquet holding your identifiers')
    .requiredOption('--column <name>')
    .option('--name <name>', 'the result is the table own_<tenant>_psi_<name>', 'intersection')
    .option('--against <dataset.field>', 'the public side', 'population.id_card')
    .option('--reveal-size', 'ask the domain to tell you the size of the intersection')
    .option('--url <url>', 'a domain served elsewhere (with $OPDOMAIN_TOKEN); default: this home, in-process')
    .action(async (o: { tenant: string; input: string; column: string; name: string; against: string; revealSize?: boolean; url?: string }, cmd) => {
      const ids = await readColumn(o.input, o.column);
      const { runPsiClient } = await import('../../privacy/index.ts');
      const start = { tenant: o.tenant, name: o.name, against: o.against, revealSize: !!o.revealSize };
      if (o.url) return json(io, await runPsiClient(ids, overHttp(o.url, start)));
      return withDomain(g(cmd), async (od) => json(io, await runPsiClient(ids, inProcess(od, await caller(od, g(cmd)), start))));
    });
}
