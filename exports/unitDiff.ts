// Two bindings of one query compared unit by unit: per cell published by both, the units in one
// cell and not in the other. Two answers whose counts differ by a few give those few away only when one cell
// holds the other (a range and the same range one year shorter); disjoint or merely overlapping
// groups (the women and the men of a county) do not, and the ledger's count comparison cannot
// tell them apart. This settles it from the data.
import type { DuckDBConnection } from '@duckdb/node-api';
import { rowsOf } from '../sandbox/index.ts';
import { cellKey, stageNames, type StagePlan } from './cells.ts';
import type { Params } from './provenance.ts';

async function dropTemps(con: DuckDBConnection): Promise<void> {
  await con.run('DROP TABLE IF EXISTS temp.main.__da');
  await con.run('DROP TABLE IF EXISTS temp.main.__db');
}

/** One row per cell and unit, with the unit's rows under each aggregate. */
function perUnit(plan: StagePlan): string {
  const { dims, names } = stageNames(plan);
  const r = Array.from({ length: plan.partials }, (_, k) => `sum(__r${k}) AS r${k}`);
  return `SELECT ${[...dims, '__g', '__u0'].join(', ')}${r.length > 0 ? `, ${r.join(', ')}` : ''} FROM (SELECT * FROM (${plan.sql}) AS s(${names.join(', ')})) GROUP BY ALL`;
}

/** How two answers' cells line up: per part, for each canonical dimension, its position in each stage. */
export interface Alignment {
  readonly a: readonly (readonly number[])[];
  readonly b: readonly (readonly number[])[];
}

/**
 * Two answers — two bindings of one query, or two queries whose cells group the same catalog
 * fields (`align` names each one's dimension order) — compared unit by unit: the smallest non-zero
 * count of units in one answer's cell and not in the other's, over cells in `published` (keyed
 * by `alignedCellKey`; Infinity when none). One query is compared per aggregate, two per cell.
 */
export async function unitDifference(
  con: DuckDBConnection,
  a: { stages: readonly StagePlan[]; params: Params },
  b: { stages: readonly StagePlan[]; params: Params },
  published: ReadonlySet<string>,
  align: Alignment,
): Promise<number> {
  let smallest = Infinity;
  for (const [part, plan] of a.stages.entries()) {
    const other = b.stages[part]!;
    const pa = align.a[part]!;
    const pb = align.b[part]!;
    await dropTemps(con);
    await con.run(`CREATE TEMP TABLE __da AS ${perUnit(plan)}`, a.params as never);
    await con.run(`CREATE TEMP TABLE __db AS ${perUnit(other)}`, b.params as never);
    const on = pa
      .map((d, i) => `x.__d${d} IS NOT DISTINCT FROM y.__d${pb[i]}`)
      .concat('x.__g = y.__g', 'x.__u0 = y.__u0')
      .join(' AND ');
    const keys = pa.map((d, i) => `coalesce(x.__d${d}, y.__d${pb[i]}) AS __c${i}`).concat('coalesce(x.__g, y.__g) AS __g');
    // A unit is in an aggregate's set when it has rows under it (its FILTER, non-null argument); between two queries, when it is in the cell.
    const ks = plan.sql === other.sql && plan.partials > 0 ? Array.from({ length: plan.partials }, (_, k) => k) : [-1];
    const inA = (k: number) => (k < 0 ? 'x.__u0 IS NOT NULL' : `coalesce(x.r${k}, 0) > 0`);
    const inB = (k: number) => (k < 0 ? 'y.__u0 IS NOT NULL' : `coalesce(y.r${k}, 0) > 0`);
    const counts = ks.map(
      (k, i) => `count(*) FILTER (WHERE ${inA(k)} AND NOT ${inB(k)}) AS a${i}, count(*) FILTER (WHERE ${inB(k)} AND NOT ${inA(k)}) AS b${i}`,
    );
    const rows = rowsOf(
      await con.runAndReadAll(`SELECT ${keys.join(', ')}, ${counts.join(', ')} FROM temp.main.__da x FULL JOIN temp.main.__db y ON ${on} GROUP BY ALL`),
    );
    await dropTemps(con);
    for (const row of rows) {
      if (
        !published.has(
          cellKey(
            part,
            Number(row.__g ?? 0),
            pa.map((_, i) => row[`__c${i}`]),
          ),
        )
      )
        continue;
      for (let i = 0; i < ks.length; i++) {
        // Subtraction gives a set away only when one cell holds the other: then the rest is known.
        const onlyA = Number(row[`a${i}`]);
        const onlyB = Number(row[`b${i}`]);
        const given = onlyB === 0 ? onlyA : onlyA === 0 ? onlyB : 0;
        if (given > 0 && given < smallest) smallest = given;
      }
    }
  }
  return smallest;
}
