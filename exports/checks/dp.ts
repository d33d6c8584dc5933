// dp: an output made only of differentially private releases of its own job — every row one of
// the rows a dp.* call returned, charged to the authorization's budget (the values compared by
// content, never by what the script says) — is a release whose disclosure the noise bounds: the
// rules that measure cells do not apply to it, and one reviewer suffices. Anything else in the
// output (a column the script added, a value it changed) makes it an ordinary output, judged by
// every rule; this rule then says so and decides nothing.
import { valueKey } from '../provenance.ts';
import type { RuleResult } from '../verdict.ts';
import type { CheckContext, Rule } from './context.ts';

const rowKey = (row: readonly unknown[]) => row.map(valueKey).sort().join('\u0001');

/** Whether every output row is a row of one of the job's DP releases (and there is at least one). */
export function isDpRelease(ctx: CheckContext): { epsilon: number; delta: number } | null {
  const releases = ctx.dpReleases ?? [];
  if (releases.length === 0 || ctx.output.rows.length === 0) return null;
  const width = ctx.output.columns.length;
  const known = new Set(releases.flatMap((r) => r.rows.filter((x) => x.length === width).map(rowKey)));
  if (!ctx.output.rows.every((row) => known.has(rowKey(row)))) return null;
  return { epsilon: releases.reduce((a, r) => a + r.epsilon, 0), delta: releases.reduce((a, r) => a + r.delta, 0) };
}

export const dp: Rule = {
  id: 'dp',
  check(ctx: CheckContext): RuleResult {
    const dp = isDpRelease(ctx);
    if (!dp)
      return {
        rule: this.id,
        verdict: 'pass',
        reason:
          (ctx.dpReleases ?? []).length > 0
            ? "not a release of DP aggregates only (some value is not one of the job's DP releases): the other rules decide"
            : 'the job made no DP release: the other rules decide',
      };
    return {
      rule: this.id,
      verdict: 'pass',
      reason: `every value is a DP release of this job, charged to the budget (ε = ${+dp.epsilon.toFixed(6)}, δ = ${dp.delta}): the cell rules do not apply`,
    };
  },
};
