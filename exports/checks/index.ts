// The export check: every rule, in order; the report's verdict is the worst of them.
import { worst, type RuleResult, type Verdict } from '../verdict.ts';
import type { CheckContext, Rule } from './context.ts';
import { cellCount } from './cellCount.ts';
import { differencing } from './differencing.ts';
import { directIdentifiers } from './directIdentifiers.ts';
import { dominance } from './dominance.ts';
import { grade } from './grade.ts';
import { kAnonymity } from './kAnonymity.ts';
import { mitigation } from './mitigation.ts';
import { modelDf } from './modelDf.ts';
import { provenance } from './provenance.ts';
import { reversibility } from './reversibility.ts';
import { rowCap } from './rowCap.ts';
import { secondarySuppression } from './secondary.ts';
import { usageLevels } from './usageLevels.ts';
import { dp, isDpRelease } from './dp.ts';
import { zeros } from './zeros.ts';

export const RULES: readonly Rule[] = [
  dp,
  provenance,
  usageLevels,
  directIdentifiers,
  reversibility,
  kAnonymity,
  cellCount,
  zeros,
  dominance,
  modelDf,
  secondarySuppression,
  differencing,
  grade,
  rowCap,
  mitigation,
];

export interface CheckReport {
  readonly verdict: Verdict;
  readonly rules: readonly RuleResult[];
}

/** What measures cells or traces values to queries: it does not apply to a release of DP aggregates. */
const NOT_FOR_DP: ReadonlySet<string> = new Set([
  'provenance',
  'usage_levels',
  'reversibility',
  'k_anonymity',
  'cell_count',
  'zeros',
  'dominance',
  'model_df',
  'secondary_suppression',
  'differencing',
]);

export async function runChecks(ctx: CheckContext): Promise<CheckReport & { dp: boolean }> {
  const rules: RuleResult[] = [];
  const release = isDpRelease(ctx);
  for (const r of RULES) {
    if (release && NOT_FOR_DP.has(r.id)) rules.push({ rule: r.id, verdict: 'pass', reason: 'not applicable: every value is a DP release of this job' });
    else rules.push(await r.check(ctx));
  }
  return { verdict: worst(rules), rules, dp: !!release };
}

export { dominanceOf, BLOCKING_DOMINANCE } from './dominance.ts';
export {
  CellList,
  DEFAULT_THRESHOLDS,
  groupKey,
  publishedCells,
  unitsOf,
  unmeasuredColumns,
  type CellView,
  type CheckContext,
  type ColumnMeasure,
  type LedgerCell,
  type PriorCell,
  type Rule,
  type Thresholds,
} from './context.ts';
