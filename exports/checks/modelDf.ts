// model_df: a model fitted on few observations nearly restates them. Residual degrees of
// freedom (observations with both values, minus the two parameters of DuckDB's regr_* and corr)
// must be at least the threshold (default 10); a column named like residual df is read as such.
import type { RuleResult } from '../verdict.ts';
import { cellsOf, outputMagnitudes, type CheckContext, type Rule } from './context.ts';

const DF_NAME = /^(df|df_resid|df_residual|resid_df|residual_df)$/i;

export const modelDf: Rule = {
  id: 'model_df',
  check(ctx: CheckContext): RuleResult {
    const min = ctx.thresholds.minResidualDf;
    const cells: { row?: number; column: string }[] = [];
    let low = 0;
    let smallest = Infinity;
    const models = outputMagnitudes(ctx, true);
    let unread = 0;
    for (const m of models) {
      if (m.error) unread++;
      const j = ctx.output.columns.findIndex((c) => c.name.toLowerCase() === m.measure.toLowerCase());
      for (const { row, stats } of cellsOf(ctx, m)) {
        if (row !== undefined && ctx.output.rows[row]![j] === null) continue;
        const df = stats.n - 2;
        smallest = Math.min(smallest, df);
        if (df < min) {
          low++;
          if (cells.length < 20) cells.push({ ...(row !== undefined ? { row } : {}), column: m.measure });
        }
      }
    }
    const { columns, rows } = ctx.output;
    columns.forEach((c, j) => {
      if (!DF_NAME.test(c.name)) return;
      rows.forEach((r, i) => {
        const v = r[j];
        if (typeof v !== 'number') return;
        smallest = Math.min(smallest, v);
        if (v < min) {
          low++;
          if (cells.length < 20) cells.push({ row: i, column: c.name });
        }
      });
    });
    if (models.length === 0 && !columns.some((c) => DF_NAME.test(c.name))) return { rule: this.id, verdict: 'pass', reason: 'no model in the output' };
    if (low === 0 && unread > 0) return { rule: this.id, verdict: 'review', reason: `the observations behind ${unread} model column(s) could not be counted` };
    if (low > 0) return { rule: this.id, verdict: 'block', reason: `${low} model(s) have fewer than ${min} residual degrees of freedom (smallest ${smallest})`, cells };
    return { rule: this.id, verdict: 'pass', reason: `every model has at least ${min} residual degrees of freedom (smallest ${smallest})` };
  },
};
