// model_df: a model fitted on few observations nearly restates them. Residual degrees of
// freedom — observations with both values, measured by the check, minus the two parameters of
// DuckDB's regr_* and corr — must be at least the threshold (default 10).
import type { RuleResult } from '../verdict.ts';
import { CellList, publishedCells, type CheckContext, type Rule } from './context.ts';

export const modelDf: Rule = {
  id: 'model_df',
  check(ctx: CheckContext): RuleResult {
    const min = ctx.thresholds.minResidualDf;
    const low = new CellList();
    let smallest = Infinity;
    let models = 0;
    if (ctx.measured && !ctx.measured.error) {
      for (const { row, column, cell, measure } of publishedCells(ctx)) {
        if (measure.item.kind !== 'model') continue;
        models++;
        for (const a of measure.item.aggs) {
          const df = (cell.aggs[a]?.rows ?? 0) - 2;
          smallest = Math.min(smallest, df);
          if (df < min) low.add(row, ctx.output.columns[column]!.name);
        }
      }
    }
    if (low.count > 0)
      return {
        rule: this.id,
        verdict: 'block',
        reason: `${low.count} model(s) have fewer than ${min} residual degrees of freedom (smallest ${smallest})`,
        cells: low.cells,
      };
    if (models === 0) return { rule: this.id, verdict: 'pass', reason: 'no model in the output' };
    return { rule: this.id, verdict: 'pass', reason: `every model has at least ${min} residual degrees of freedom (smallest ${smallest})` };
  },
};
