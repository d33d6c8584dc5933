import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { toCsv } from './csv.ts';
import { writeParquet } from './parquet.ts';

describe('outputs of any shape', () => {
  it('keeps lists and structs typed in Parquet and renders them as JSON in CSV', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opdomain-pq-'));
    try {
      const columns = [
        { name: 'county', type: 'VARCHAR' as const },
        { name: 'ages', type: 'JSON' as const },
        { name: 'band', type: 'JSON' as const },
      ];
      const rows = [
        ['330102', [30, 40], { lo: 30, hi: 39 }],
        ['330103', [], null],
      ];
      const path = join(dir, 'o.parquet');
      await writeParquet(path, columns, rows);
      const inst = await DuckDBInstance.create(':memory:');
      const con = await inst.connect();
      const types = (await con.runAndReadAll(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM '${path}')`)).getRowObjectsJS();
      expect(types.map((t) => String(t.column_type))).toEqual(['VARCHAR', 'BIGINT[]', 'STRUCT(lo BIGINT, hi BIGINT)']);
      const back = (await con.runAndReadAll(`SELECT ages[1] AS a, band.hi AS h FROM '${path}' ORDER BY county`)).getRowObjectsJS();
      expect(back.map((r) => [r.a === null ? null : Number(r.a), r.h === null ? null : Number(r.h)])).toEqual([
        [30, 39],
        [null, null],
      ]);
      con.closeSync();
      inst.closeSync();
      expect(toCsv(columns, rows)).toContain('"{""lo"":30,""hi"":39}"');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
