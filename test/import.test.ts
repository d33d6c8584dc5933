// Real data in: a department's file is checked against its catalog entry, refused whole with
// a report when it does not fit (the raw store untouched), or loaded as a new version that
// builds and lineage then name.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../gateway/index.ts';
import { demoDomain } from './helpers.ts';

type Domain = Awaited<ReturnType<typeof demoDomain>>;
let d: Domain;
let csv: string;

async function rawQuery(sql: string): Promise<Record<string, unknown>[]> {
  const inst = await DuckDBInstance.create(':memory:');
  const con = await inst.connect();
  try {
    await con.run(`ATTACH '${d.od.ctx.paths.rawDb}' AS raw (READ_ONLY)`);
    return (await con.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[];
  } finally {
    con.closeSync();
    inst.closeSync();
  }
}

beforeAll(async () => {
  d = await demoDomain({ workerPool: 0 });
  csv = join(d.home, 'population.csv');
  await rawQuery(`COPY (SELECT * FROM raw.population ORDER BY id_card) TO '${csv}' (HEADER)`);
  await rawQuery(`COPY (SELECT * FROM raw.population ORDER BY id_card) TO '${join(d.home, 'population.parquet')}' (FORMAT parquet)`);
});
afterAll(async () => d?.close());

const codeOf = async (fn: () => Promise<unknown>) => {
  try {
    await fn();
    return { code: 'OK', details: undefined };
  } catch (e) {
    return {
      code: (e as { code: string }).code,
      details: (
        e as { details?: { report?: { problems: { column: string; issue: string; count: number; examples: { row: number; value: string | null }[] }[] } } }
      ).details,
    };
  }
};

describe('datasets import', () => {
  it('only administrators import', async () => {
    const alice = await d.od.principal({ as: 'alice' });
    expect((await codeOf(() => d.od.catalog.import(alice, 'population', csv))).code).toBe('FORBIDDEN_ROLE');
  });

  it('refuses a file that does not fit, whole, with the first bad rows column by column; nothing changes', async () => {
    const ada = await d.od.principal({ as: 'ada' });
    const before = d.od.catalog.show('population');
    const lines = readFileSync(csv, 'utf8').trimEnd().split('\n');
    const header = lines[0]!.split(',');
    const bi = header.indexOf('birth_date');
    const ii = header.indexOf('id_card');
    const bad = lines.map((l, i) => {
      if (i === 0) return l;
      const cells = l.split(',');
      if (i === 3 || i === 7) cells[bi] = 'not-a-date';
      if (i === 5) cells[ii] = '';
      return cells.join(',');
    });
    const badFile = join(d.home, 'bad.csv');
    writeFileSync(badFile, `${bad.join('\n')}\n`);
    const r = await codeOf(() => d.od.catalog.import(ada, 'population', badFile));
    expect(r.code).toBe('IMPORT_INVALID');
    const problems = r.details!.report!.problems;
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          column: 'birth_date',
          issue: 'wrong_type',
          count: 2,
          examples: [
            { row: 3, value: 'not-a-date' },
            { row: 7, value: 'not-a-date' },
          ],
        }),
        expect.objectContaining({ column: 'id_card', issue: 'required_empty', count: 1, examples: [{ row: 5, value: null }] }),
      ]),
    );
    const missing = join(d.home, 'missing.csv');
    writeFileSync(
      missing,
      lines
        .map((l) =>
          l
            .split(',')
            .filter((_, j) => j !== bi)
            .concat(['x'])
            .join(','),
        )
        .join('\n')
        .replace(/^(.*),x/, '$1,extra'),
    );
    const m = await codeOf(() => d.od.catalog.import(ada, 'population', missing));
    expect(m.code).toBe('IMPORT_INVALID');
    expect(m.details!.report!.problems.map((p) => `${p.column}:${p.issue}`)).toEqual(['birth_date:missing_column', 'extra:unexpected_column']);
    expect((await codeOf(() => d.od.catalog.import(ada, 'population', join(d.home, 'nope.csv')))).code).toBe('IMPORT_INVALID');
    expect((await codeOf(() => d.od.catalog.import(ada, 'population', join(d.home, 'x.xlsx')))).code).toBe('IMPORT_INVALID');
    expect(d.od.catalog.show('population')).toEqual(before);
    expect(d.od.ctx.audit.entries({ kind: 'DATASET_IMPORT_REFUSED' }).length).toBe(4);
  });

  it('a malformed CSV is refused by the line that is wrong, nothing loaded, and no error names a path on the server', async () => {
    const ada = await d.od.principal({ as: 'ada' });
    const before = d.od.catalog.show('population');
    const lines = readFileSync(csv, 'utf8').trimEnd().split('\n');
    const header = lines[0]!;
    const good = lines.slice(1, 6);
    const cases: [string, string, { line: number; value: RegExp }[] | string][] = [
      // A short line: the other lines still have every column (the sniffer used to call every column missing).
      [
        'short',
        [header, ...good.slice(0, 2), good[2]!.split(',').slice(0, 2).join(','), ...good.slice(3)].join('\n'),
        [{ line: 4, value: /expected \d+ fields, found 2/ }],
      ],
      // An unclosed quote (it used to swallow every later line into one value and load the file).
      ['quote', [header, good[0]!, good[1]!.replace(',', ',"'), ...good.slice(2)].join('\n'), [{ line: 3, value: /quoted value is never closed/ }]],
      // An extra field on two lines (they used to become "unexpected columns" named by their values).
      [
        'extra',
        [header, `${good[0]!},x`, good[1]!, `${good[2]!},y`, ...good.slice(3)].join('\n'),
        [
          { line: 2, value: /found \d+/ },
          { line: 4, value: /found \d+/ },
        ],
      ],
      ['empty', '', 'empty_file'],
    ];
    for (const [name, text, expected] of cases) {
      const file = join(d.home, `${name}.csv`);
      writeFileSync(file, text + (text ? '\n' : ''));
      const r = await codeOf(() => d.od.catalog.import(ada, 'population', file));
      expect(r.code, name).toBe('IMPORT_INVALID');
      const problems = r.details!.report!.problems as unknown as { issue: string; count: number; examples: { line?: number; value: string | null }[] }[];
      if (typeof expected === 'string')
        expect(
          problems.map((x) => x.issue),
          name,
        ).toEqual([expected]);
      else {
        expect(
          problems.map((x) => x.issue),
          name,
        ).toEqual(['malformed_line']);
        expect(problems[0]!.count, name).toBe(expected.length);
        expect(problems[0]!.examples, name).toEqual(expected.map((e) => ({ line: e.line, value: expect.stringMatching(e.value) })));
      }
      const message = ((await d.od.catalog.import(ada, 'population', file).catch((e) => e)) as Error).message;
      expect(message, name).not.toContain(d.home);
    }
    expect(d.od.catalog.show('population')).toEqual(before);

    // Over HTTP the body lands in a temporary file of the server's: its path is in no answer.
    const app = buildApp(d.od);
    const token = await d.od.ctx.identity.issueDevToken('ada');
    const res = await app.inject({
      method: 'POST',
      url: '/api/datasets/population/import',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
      payload: `${cases[1]![1]}\n`,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('IMPORT_INVALID');
    expect(res.body).toMatch(/line 3/);
    expect(res.body).not.toMatch(/\/tmp\/|\/var\/|opdomain-/);
    await app.close();
    expect(d.od.catalog.show('population')).toEqual(before);
  });

  it('loads a fitting file as a new version only when the content changed, and builds use it', async () => {
    const ada = await d.od.principal({ as: 'ada' });
    const same = await d.od.catalog.import(ada, 'population', csv);
    expect(same.version.version).toBe(1); // identical content: no new version
    const lines = readFileSync(csv, 'utf8').trimEnd().split('\n');
    const changed = join(d.home, 'changed.csv');
    writeFileSync(changed, `${lines.slice(0, -10).join('\n')}\n`);
    const r = await d.od.catalog.import(ada, 'population', changed);
    expect(r.version).toMatchObject({ dataset: 'population', version: 2, rows: lines.length - 11 });
    expect((await rawQuery('SELECT count(*)::INT AS n FROM raw.population'))[0]!.n).toBe(lines.length - 11);
    const loaded = d.od.ctx.audit.entries({ kind: 'DATASET_LOADED' }).at(-1)!;
    expect(loaded.data).toMatchObject({ dataset: 'population', version: 2, source: { kind: 'import', fileSha256: r.fileSha256 } });
    const built = await d.od.ctx.authorizations.provision('demo', 'ada');
    expect(built.build!.datasets.find((x) => x.dataset === 'population')).toMatchObject({ version: 2 });
    const parquet = await d.od.catalog.import(ada, 'population', join(d.home, 'population.parquet'));
    expect(parquet.version.version).toBe(3);
  });

  it('imports over HTTP as text/csv', async () => {
    const app = buildApp(d.od);
    const token = await d.od.ctx.identity.issueDevToken('ada');
    const res = await app.inject({
      method: 'POST',
      url: '/api/datasets/population/import',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
      payload: readFileSync(csv, 'utf8'),
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().version.dataset).toBe('population');
    const list = await app.inject({ method: 'GET', url: '/api/datasets', headers: { authorization: `Bearer ${token}` } });
    expect(list.json().datasets.find((x: { id: string }) => x.id === 'population')).toMatchObject({
      rowCount: expect.any(Number),
      version: expect.any(Number),
    });
    await app.close();
  });
});
