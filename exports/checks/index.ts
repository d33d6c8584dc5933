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
import { zeros } from './zeros.ts';

export const RULES: readonly Rule[] = [provenance, usageLevels, directIdentifiers, reversibility, kAnonymity, cellCount, zeros, dominance, modelDf, secondarySuppression, differencing, grade, rowCap, mitigation];

export interface CheckReport {
  readonly verdict: Verdict;
  readonly rules: readonly RuleResult[];
}

export async function runChecks(ctx: CheckContext): Promise<CheckReport> {
  const rules: RuleResult[] = [];
  for (const r of RULES) rules.push(await r.check(ctx));
  return { verdict: worst(rules), rules };
}

export { dominanceOf, BLOCKING_DOMINANCE } from './dominance.ts';
export { CellList, DEFAULT_THRESHOLDS, groupKey, publishedCells, unitsOf, unmeasuredColumns, type CellView, type CheckContext, type ColumnMeasure, type LedgerCell, type PriorCell, type Rule, type Thresholds } from './context.ts';
