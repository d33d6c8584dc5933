// Verdicts of the export check: every rule answers pass, review or block with a reason;
// a request's verdict is the worst of its rules.

export type Verdict = 'pass' | 'review' | 'block';

export interface RuleResult {
  readonly rule: string;
  readonly verdict: Verdict;
  readonly reason: string;
  /** Where it applies: the columns and (at most 20) rows concerned. */
  readonly cells?: readonly { readonly row?: number; readonly column: string }[];
}

const RANK: Record<Verdict, number> = { pass: 0, review: 1, block: 2 };

export function worst(results: readonly { verdict: Verdict }[]): Verdict {
  return results.reduce<Verdict>((w, r) => (RANK[r.verdict] > RANK[w] ? r.verdict : w), 'pass');
}
