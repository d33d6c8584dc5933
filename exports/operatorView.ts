// What an operator sees of an export request's report. Every export comes from prod, where the
// operator must not learn data values (R23): the reasons of the rules quote counts, differences
// and cells, so the operator gets each rule's verdict with a fixed text instead, no cells, no
// per-cell report and not which cells the fix changed. Reviewers and security see everything.
import type { FixRecord } from './fix.ts';
import type { RuleResult, Verdict } from './verdict.ts';

const TEXT: Readonly<Record<string, string>> = {
  provenance:
    'some column is not a column of any query result the gate allowed (made or changed in the script), or is not shown to the export audience at its usage levels',
  direct_identifiers: 'some values are or equal direct identifiers (masked or tokenized values included)',
  reversibility: 'some column is carried row by row from a direct identifier',
  k_anonymity: 'the record-level file has small groups over its quasi-identifiers',
  cell_count: 'some cells rest on too few units of privacy, or a published count is not what the data gives',
  zeros: 'some cells are zero or missing from the grid',
  dominance: 'some magnitude cells are dominated by few units, or publish one unit’s value',
  model_df: 'some model has too few residual degrees of freedom',
  secondary_suppression: 'a published margin gives back withheld cells by subtraction',
  differencing: 'some cells differ from an earlier release by a small group',
  grade: 'the output draws on graded data',
  row_cap: 'the file is empty or over the size a file may have without review',
  mitigation: 'the one-step fix changed the output',
};

const VERDICT_TEXT: Readonly<Record<Verdict, string>> = { pass: 'passes', review: 'needs a reviewer', block: 'blocks' };

const RANK: Readonly<Record<Verdict, number>> = { pass: 0, review: 1, block: 2 };

/** usage_levels is shown folded into provenance (both say a column may not go out), so the reply's capacity stays 13 rules. */
function folded(rules: readonly RuleResult[]): RuleResult[] {
  const usage = rules.find((r) => r.rule === 'usage_levels');
  // dp only ever passes: it says whether the other rules applied, which the operator knows.
  const rest = rules.filter((r) => r.rule !== 'usage_levels' && r.rule !== 'dp');
  if (!usage) return rest;
  return rest.map((r) => (r.rule === 'provenance' && RANK[usage.verdict] > RANK[r.verdict] ? { ...r, verdict: usage.verdict } : r));
}

export function operatorRules(rules: readonly RuleResult[]): RuleResult[] {
  return folded(rules).map((r) => ({
    rule: r.rule,
    verdict: r.verdict,
    reason:
      r.verdict === 'pass'
        ? 'passes'
        : `${VERDICT_TEXT[r.verdict]}: ${TEXT[r.rule] ?? 'see the reviewer'} (details are shown to reviewers only; try the script in dev for yours)`,
  }));
}

export function operatorFix(fix: FixRecord | null): FixRecord | null {
  return fix ? { spec: fix.spec, suppressed: [], rounded: null, ...(fix.method ? { method: fix.method } : {}), redacted: true } : null;
}
