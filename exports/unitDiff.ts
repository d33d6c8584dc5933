// Two answers compared unit by unit: per cell published by both, the units in one cell and not
// in the other. Two answers whose counts differ by a few give those few away only when one cell
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

export interface Binding {
  readonly stages: readonly StagePlan[];
  readonly params: Params;
}

/** One row per cell and unit, with the unit's rows under each aggregate. */
function perUnit(plan: StagePlan): string {
  const { dims, names } = stageNames(plan);
  const r = Array.from({ length: plan.partials }, (_, k) => `sum(__r${k}) AS r${k}`);
  return `SELECT ${[...dims, '__g', '__u0'].join(', ')}${r.length > 0 ? ', ' + r.join(', ') : ''} FROM (SELECT * FROM (${plan.sql}) AS s(${names.join(', ')})) GROUP BY ALL`;
}

/**
 * Smallest non-zero count of units in one cell and not the other, over cells in `published`
 * (Infinity when none). The same query under two bindings is compared per aggregate; two
 * queries of the same cell shape, per cell.
 */
export async function unitDifference(con: DuckDBConnection, a: Binding, b: Binding, published: ReadonlySet<string>): Promise<number> {
  let smallest = Infinity;
  for (const [part, plan] of a.stages.entries()) {
    const other = b.stages[part];
    // Cells of different shapes have no common key: nothing to compare in this part.
    if (!other || other.dims !== plan.dims) continue;
    const { dims } = stageNames(plan);
    await dropTemps(con);
    await con.run(`CREATE TEMP TABLE __da AS ${perUnit(plan)}`, a.params as never);
    await con.run(`CREATE TEMP TABLE __db AS ${perUnit(other)}`, b.params as never);
    const on = [...dims, '__g'].map((x) => `x.${x} IS NOT DISTINCT FROM y.${x}`).concat('x.__u0 = y.__u0').join(' AND ');
    const keys = [...dims, '__g'].map((x) => `coalesce(x.${x}, y.${x}) AS ${x}`);
    // A unit is in an aggregate's set when it has rows under it (its FILTER, non-null argument); without partials, when it is in the cell.
    const ks = plan.sql === other.sql && plan.partials > 0 ? Array.from({ length: plan.partials }, (_, k) => k) : [-1];
    const inA = (k: number) => (k < 0 ? 'x.__u0 IS NOT NULL' : `coalesce(x.r${k}, 0) > 0`);
    const inB = (k: number) => (k < 0 ? 'y.__u0 IS NOT NULL' : `coalesce(y.r${k}, 0) > 0`);
    const counts = ks.map((k, i) => `count(*) FILTER (WHERE ${inA(k)} AND NOT ${inB(k)}) AS a${i}, count(*) FILTER (WHERE ${inB(k)} AND NOT ${inA(k)}) AS b${i}`);
    const rows = rowsOf(await con.runAndReadAll(`SELECT ${keys.join(', ')}, ${counts.join(', ')} FROM temp.main.__da x FULL JOIN temp.main.__db y ON ${on} GROUP BY ALL`));
    await dropTemps(con);
    for (const row of rows) {
      if (!published.has(cellKey(part, Number(row.__g ?? 0), dims.map((x) => row[x])))) continue;
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
