// The export check: every rule, in order; the report's verdict is the worst of them.
import { worst, type RuleResult, type Verdict } from '../verdict.ts';
import type { CheckContext, Rule } from './context.ts';
import { cellCount } from './cellCount.ts';
import { directIdentifiers } from './directIdentifiers.ts';
import { kAnonymity } from './kAnonymity.ts';
import { rowCap } from './rowCap.ts';

export const RULES: readonly Rule[] = [directIdentifiers, cellCount, kAnonymity, rowCap];

export interface CheckReport {
  readonly verdict: Verdict;
  readonly rules: readonly RuleResult[];
}

export async function runChecks(ctx: CheckContext): Promise<CheckReport> {
  const rules: RuleResult[] = [];
  for (const r of RULES) rules.push(await r.check(ctx));
  return { verdict: worst(rules), rules };
}

export { DEFAULT_THRESHOLDS, type CheckContext, type ParsedQuery, type Rule, type Thresholds } from './context.ts';
