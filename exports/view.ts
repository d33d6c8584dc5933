// The output seen through the measured cells: which output columns publish which measure, which
// are the group's dimensions, which cells each row may be, and which cells of the full grid the
// output withholds. Columns are matched by provenance (content), never by name.
import type { Cell, MeasuredQuery } from './cells.ts';
import type { CellView, ColumnMeasure } from './checks/context.ts';
import { valueKey, type Provenance } from './provenance.ts';

export const EMPTY_VIEW: CellView = { measures: [], dimColumns: new Set(), rowCells: [], withheld: [] };

export function buildView(rows: readonly (readonly unknown[])[], provenance: Provenance, measured: MeasuredQuery | null): CellView {
  if (!measured || measured.error) return { ...EMPTY_VIEW, measures: provenance.columns.map(() => []) };
  const width = provenance.columns.length;
  // Result column position → output column.
  const outOf = new Map<number, number>();
  provenance.columns.forEach((c, j) => {
    if (c.source && c.source.query === provenance.query?.index) outOf.set(c.source.column, j);
  });
  const measures: ColumnMeasure[][] = Array.from({ length: width }, () => []);
  const dimColumns = new Set<number>();
  const rowCells: Cell[][][] = rows.map(() => measured.parts.map(() => []));
  measured.parts.forEach((part, p) => {
    for (const item of part.measures) {
      const j = outOf.get(item.column);
      if (j !== undefined) measures[j]!.push({ part: p, item });
    }
    part.dims.forEach((d) => {
      const j = outOf.get(d);
      if (j !== undefined) dimColumns.add(j);
    });
    // Index the part's cells by the dimensions the output publishes.
    const present = part.dims.map((d, i) => ({ i, j: outOf.get(d) })).filter((x): x is { i: number; j: number } => x.j !== undefined);
    const index = new Map<string, Cell[]>();
    for (const cell of measured.cells) {
      if (cell.part !== p) continue;
      const key = present.map(({ i }) => valueKey(cell.dims[i])).join('\u0001');
      index.set(key, [...(index.get(key) ?? []), cell]);
    }
    rows.forEach((r, i) => {
      rowCells[i]![p] = index.get(present.map(({ j }) => valueKey(r[j])).join('\u0001')) ?? [];
    });
  });
  const shown = new Set<Cell>();
  rows.forEach((r, i) => {
    measured.parts.forEach((_, p) => {
      const published = measures.some((ms, j) => ms.some((m) => m.part === p) && r[j] !== null && r[j] !== undefined);
      if (published) for (const c of rowCells[i]![p]!) shown.add(c);
    });
  });
  return { measures, dimColumns, rowCells, withheld: measured.cells.filter((c) => !shown.has(c)) };
}
