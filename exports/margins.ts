// Recovery by subtraction. A published margin (a subtotal or total: a ROLLUP/CUBE row, or a
// branch of a UNION whose group values are constants) equals the sum of the cells it covers
// along one dimension; when exactly one of those cells is withheld — trimmed by HAVING, dropped
// by the script, or suppressed — the margin minus the published cells gives it back, and when
// several are withheld their sum comes back. Both are recoverable: a withheld set under a margin
// must be at least two cells and together rest on at least the cell threshold.
import type { Cell } from './cells.ts';
import { valueKey } from './provenance.ts';

export interface Recovery {
  readonly margin: Cell;
  /** The withheld cells the margin gives back (alone, or their sum). */
  readonly withheld: readonly Cell[];
  /** The published cells under the same margin along the same dimension. */
  readonly published: readonly Cell[];
}

const unitsOfCell = (c: Cell) => Math.min(...c.units);

/** The cells a margin covers along one of its rolled-up dimensions. */
function children(margin: Cell, d: number, all: readonly Cell[]): Cell[] {
  return all.filter(
    (c) =>
      c !== margin &&
      !c.rolledUp[d] &&
      c.dims.every((v, i) => i === d || (c.rolledUp[i] === margin.rolledUp[i] && (margin.rolledUp[i]! || valueKey(v) === valueKey(margin.dims[i])))),
  );
}

export function recoveries(cells: readonly Cell[], published: ReadonlySet<Cell>, min: number): Recovery[] {
  const out: Recovery[] = [];
  for (const m of cells) {
    if (!published.has(m) || !m.rolledUp.some(Boolean)) continue;
    m.rolledUp.forEach((up, d) => {
      if (!up) return;
      const kids = children(m, d, cells);
      if (kids.length === 0) return;
      const withheld = kids.filter((k) => !published.has(k) && unitsOfCell(k) > 0);
      if (withheld.length === 0) return;
      const units = withheld.reduce((a, k) => a + unitsOfCell(k), 0);
      if (withheld.length === 1 || units < min) out.push({ margin: m, withheld, published: kids.filter((k) => published.has(k)) });
    });
  }
  return out;
}
