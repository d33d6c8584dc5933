// Private set intersection (R14) on a real domain of 1,000 people: an operator's 1,000
// identifiers with 300 in common give exactly 300 rows of tokens in its own files; every
// transcript element changes with the session; replayed, reordered, altered or oversized
// messages are refused; the operator sees group elements and (if asked) the size, nothing else.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type Opdomain, type Principal } from '../gateway/index.ts';
import { messageMac, runPsiClient, type PsiTransport } from '../privacy/index.ts';
import { residentIdCheckChar } from '../datasets/index.ts';
import { demoDomain } from './helpers.ts';

let d: Awaited<ReturnType<typeof demoDomain>>;
let od: Opdomain;
let alice: Principal;
let common: string[] = [];
const outsiders: string[] = [];

async function query<T = unknown>(file: string, sql: string): Promise<T[][]> {
  const db = await DuckDBInstance.create(file, { access_mode: 'READ_ONLY' });
  const con = await db.connect();
  try {
    return (await con.runAndReadAll(sql)).getRows() as T[][];
  } finally {
    con.closeSync();
    db.closeSync();
  }
}

/** Records every message both ways. */
function recording(p: Principal, start: Record<string, unknown>, log: { sent: string[][]; received: string[][]; key?: string; id?: string }): PsiTransport {
  return {
    start: async () => {
      const s = await od.psi.start(p, start);
      log.key = s.key;
      log.id = s.id;
      return s;
    },
    blinded: async (id, elements, mac) => {
      log.sent.push([...elements]);
      const r = await od.psi.blinded(p, id, { elements, mac });
      log.received.push([...r.elements]);
      return r;
    },
    finish: async (id, elements, mac) => {
      log.sent.push([...elements]);
      return od.psi.finish(p, id, { elements, mac });
    },
  };
}
const code = async (f: () => Promise<unknown>) =>
  f().then(
    () => 'OK',
    (e: { code?: string }) => e.code ?? String(e),
  );

beforeAll(async () => {
  d = await demoDomain({ scale: 1000 });
  od = d.od;
  alice = await od.principal({ as: 'alice' });
  const ids = (await query<string>(join(d.home, 'raw', 'public.duckdb'), 'SELECT id_card FROM population ORDER BY id_card')).map((r) => String(r[0]));
  expect(ids.length).toBe(1000);
  common = ids.slice(0, 300);
  // 700 valid resident ID numbers of people the public data does not hold.
  const known = new Set(ids);
  for (let i = 0; outsiders.length < 700; i++) {
    const base = `110101${1950 + (i % 50)}0101${String(i % 1000).padStart(3, '0')}`;
    const id = base + residentIdCheckChar(base);
    if (!known.has(id)) outsiders.push(id);
  }
}, 180_000);
afterAll(() => d.close());

describe('private set intersection', () => {
  const log1 = { sent: [] as string[][], received: [] as string[][] } as { sent: string[][]; received: string[][]; key?: string; id?: string };
  it("1,000 × 1,000 with 300 in common give exactly 300 tokens in the operator's own table, and nothing the operator sees but the size it asked for", async () => {
    const r = await runPsiClient([...outsiders, ...common], recording(alice, { tenant: 'demo', name: 'bank', revealSize: true }, log1));
    expect(r).toMatchObject({ matched: 300, dataset: 'own_demo_psi_bank', sent: 1000 });
    const prod = join(d.home, 'tenants', 'demo', 'prod.duckdb');
    expect(Number((await query(prod, 'SELECT count(*) FROM own_demo_psi_bank'))[0]![0])).toBe(300);
    expect(Number((await query(prod, 'SELECT count(*) FROM own_demo_psi_bank i JOIN population p USING (id_card)'))[0]![0])).toBe(300);
    // Tokens, never the identifiers themselves.
    expect(
      Number(
        (
          await query(
            prod,
            `SELECT count(*) FROM own_demo_psi_bank WHERE id_card IN (${common
              .slice(0, 50)
              .map((x) => `'${x}'`)
              .join(',')})`,
          )
        )[0]![0],
      ),
    ).toBe(0);
    // The transcript: 32-byte group elements only.
    for (const m of [...log1.sent, ...log1.received]) for (const e of m) expect(e).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(log1.received[0]!.length).toBe(1000);
    const view = od.psi.show(alice, log1.id!);
    expect(Object.keys(view).sort()).toEqual(['against', 'clientSize', 'createdAt', 'dataset', 'domainSize', 'id', 'matched', 'name', 'state', 'tenant']);
    // Usable in scripts at join-key level, like any token.
    const job = await od.jobs.run(alice, {
      tenant: 'demo',
      env: 'prod',
      script: "output('n', await sql('SELECT p.gender, count(*) AS n FROM own_demo_psi_bank i JOIN population p USING (id_card) GROUP BY 1'))",
    });
    expect(job.ok, JSON.stringify(job.error)).toBe(true);
    expect(od.jobs.output(job.jobId, 'n').rows.reduce((a, x) => a + Number(x[1]), 0)).toBe(300);
    const row = await od.jobs.run(alice, { tenant: 'demo', env: 'dev', script: "output('n', await sql('SELECT id_card FROM own_demo_psi_bank'))" });
    expect(row.error?.code).toBe('SQL_USAGE_REFUSED');
    // Audited, sizes included; in lineage as a dataset version.
    const kinds = od.ctx.store.all<{ kind: string }>('SELECT kind FROM audit WHERE subject = ? ORDER BY seq', log1.id!).map((x) => x.kind);
    expect(kinds).toEqual(['PSI_STARTED', 'PSI_STEP', 'PSI_FINISHED']);
    expect(od.ctx.versions.latest('own_demo_psi_bank')?.rows).toBe(300);
  });

  it('a fresh session changes every transcript element; without revealSize the operator learns nothing of the result', async () => {
    const log2 = { sent: [] as string[][], received: [] as string[][] } as { sent: string[][]; received: string[][]; key?: string; id?: string };
    const r = await runPsiClient([...outsiders, ...common], recording(alice, { tenant: 'demo', name: 'bank2' }, log2));
    expect(r.matched).toBeUndefined();
    expect(od.psi.show(alice, log2.id!).matched).toBeUndefined();
    const before = new Set([...log1.sent.flat(), ...log1.received.flat()]);
    expect([...log2.sent.flat(), ...log2.received.flat()].filter((e) => before.has(e))).toEqual([]);
  });

  it('refuses replayed, reordered, altered, malformed and oversized messages, and other people', async () => {
    // Replays of a finished session's messages.
    expect(
      await code(() =>
        od.psi.blinded(alice, log1.id!, { elements: log1.sent[0], mac: messageMac(Buffer.from(log1.key!, 'base64url'), log1.id!, 'blinded', log1.sent[0]!) }),
      ),
    ).toBe('PSI_TRANSITION');
    const s = await od.psi.start(alice, { tenant: 'demo', name: 'bank3', maxClientSize: 5 });
    const key = Buffer.from(s.key, 'base64url');
    const some = log1.sent[0]!.slice(0, 4);
    // Another session's message, this session's key for another step, an altered element.
    expect(
      await code(() =>
        od.psi.blinded(alice, s.id, { elements: log1.sent[0]!.slice(0, 4), mac: messageMac(Buffer.from(log1.key!, 'base64url'), log1.id!, 'blinded', some) }),
      ),
    ).toBe('PSI_TAMPERED');
    expect(await code(() => od.psi.blinded(alice, s.id, { elements: some, mac: messageMac(key, s.id, 'finish', some) }))).toBe('PSI_TAMPERED');
    const altered = [...some.slice(0, 3), some[3]!.slice(0, -2) + (some[3]!.endsWith('AA') ? 'AB' : 'AA')];
    expect(await code(() => od.psi.blinded(alice, s.id, { elements: altered, mac: messageMac(key, s.id, 'blinded', some) }))).toBe('PSI_TAMPERED');
    const junk = [...some.slice(0, 3), '_'.repeat(43)];
    expect(await code(() => od.psi.blinded(alice, s.id, { elements: junk, mac: messageMac(key, s.id, 'blinded', junk) }))).toBe('PSI_INVALID_ELEMENT');
    const six = log1.sent[0]!.slice(0, 6);
    expect(await code(() => od.psi.blinded(alice, s.id, { elements: six, mac: messageMac(key, s.id, 'blinded', six) }))).toBe('PSI_TOO_LARGE');
    expect(await code(() => od.psi.finish(alice, s.id, { elements: some, mac: messageMac(key, s.id, 'finish', some) }))).toBe('PSI_TRANSITION');
    const bob = await od.principal({ as: 'bob' });
    expect(await code(() => od.psi.start(bob, { tenant: 'demo' }))).toBe('FORBIDDEN_ROLE');
    expect(await code(() => od.psi.blinded(alice, 'psi_nope', { elements: some, mac: 'x' }))).toBe('PSI_NOT_FOUND');
    expect(await code(() => od.psi.start(alice, { tenant: 'demo', against: 'population.gender' }))).toBe('BAD_REQUEST');
    expect(await code(() => od.psi.start(alice, { tenant: 'demo', name: '../x' }))).toBe('BAD_REQUEST');
    expect(await code(() => od.psi.start(alice, { tenant: 'demo', maxClientSize: 2_000_000 }))).toBe('BAD_REQUEST');
    expect(od.ctx.store.all<{ n: number }>("SELECT count(*) AS n FROM audit WHERE subject = ? AND kind = 'PSI_REFUSED'", s.id)[0]!.n).toBe(6);
    // Refusals leave the session where it was: a correct message still goes through.
    const ok = await od.psi.blinded(alice, s.id, { elements: some, mac: messageMac(key, s.id, 'blinded', some) });
    expect(ok.elements.length).toBe(1000);
  });

  it('speaks HTTP: the CLI client over a served gateway', async () => {
    const app = buildApp(od);
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const file = join(d.home, 'mine.csv');
      writeFileSync(file, `${['customer_id', ...common.slice(0, 120), ...outsiders.slice(0, 80)].join('\n')}\n`);
      const token = d.setup.tokens.alice!;
      const post = async (path: string, body: unknown) =>
        (
          await fetch(new URL(path, base), {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: JSON.stringify(body),
          })
        ).json() as never;
      const r = await runPsiClient(common.slice(0, 120).concat(outsiders.slice(0, 80)), {
        start: () => post('/api/psi/sessions', { tenant: 'demo', name: 'http', revealSize: true }),
        blinded: (id, elements, mac) => post(`/api/psi/sessions/${id}/blinded`, { elements, mac }),
        finish: (id, elements, mac) => post(`/api/psi/sessions/${id}/finish`, { elements, mac }),
      });
      expect(r.matched).toBe(120);
      const list = (await (await fetch(new URL('/api/psi/sessions', base), { headers: { authorization: `Bearer ${token}` } })).json()) as {
        sessions: { id: string }[];
      };
      expect(list.sessions.map((x) => x.id)).toContain(r.session);
      // The CLI's own client, in another process, over the served gateway.
      const cli = await new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        const child = spawn(
          process.execPath,
          [
            join(process.cwd(), 'bin/opdomain.js'),
            'psi',
            '--tenant',
            'demo',
            '--input',
            file,
            '--column',
            'customer_id',
            '--name',
            'cli',
            '--reveal-size',
            '--url',
            base,
          ],
          { env: { ...process.env, OPDOMAIN_TOKEN: token } },
        );
        let out = '';
        let err = '';
        child.stdout.on('data', (c) => (out += c));
        child.stderr.on('data', (c) => (err += c));
        child.on('close', (code) => resolve({ code, out, err }));
      });
      expect(cli.code, cli.err).toBe(0);
      expect(JSON.parse(cli.out)).toMatchObject({ matched: 120, dataset: 'own_demo_psi_cli', sent: 200 });
    } finally {
      await app.close();
    }
  });
});
