// k_anonymity: a record-level output is judged by its smallest group of rows sharing the same
// quasi-identifier values (k < 5 block, k < 10 review) and by l-diversity: a group whose
// sensitive attribute takes a single value reveals it. Quasi-identifiers and sensitive columns
// are found through each column's provenance, never its name; a script-derived column counts as
// a quasi-identifier (it may carry anything the job read). Aggregate outputs are judged per
// measured cell instead.
import { carriedOf, roleOf } from '../provenance.ts';
import type { RuleResult } from '../verdict.ts';
import type { CheckContext, Rule } from './context.ts';

export const kAnonymity: Rule = {
  id: 'k_anonymity',
  check(ctx: CheckContext): RuleResult {
    const { columns, rows } = ctx.output;
    if (ctx.provenance.shape === 'aggregate') return { rule: this.id, verdict: 'pass', reason: 'an aggregate output (judged per measured cell)' };
    const roles = ctx.provenance.columns.map((c) => (c.source ? new Set(carriedOf(c).map((i) => roleOf(i.table, i.column))) : new Set(['quasi_identifier'])));
    const qi = columns.map((c, j) => ({ c, j })).filter(({ j }) => roles[j]!.has('quasi_identifier') || roles[j]!.has('direct_identifier'));
    const sensitive = columns.map((c, j) => ({ c, j })).filter(({ j }) => roles[j]!.has('sensitive_attribute'));
    if (rows.length === 0) return { rule: this.id, verdict: 'pass', reason: 'an empty output' };
    if (qi.length === 0) return { rule: this.id, verdict: 'pass', reason: 'no quasi-identifier in a record-level output' };
    const groups = new Map<string, { rows: number[]; values: Set<string>[] }>();
    rows.forEach((r, i) => {
      const key = JSON.stringify(qi.map(({ j }) => r[j]));
      const g = groups.get(key) ?? { rows: [], values: sensitive.map(() => new Set<string>()) };
      g.rows.push(i);
      sensitive.forEach(({ j }, s) => g.values[s]!.add(JSON.stringify(r[j])));
      groups.set(key, g);
    });
    let k = Infinity;
    for (const g of groups.values()) k = Math.min(k, g.rows.length);
    const smallest = [...groups.values()].filter((g) => g.rows.length === k);
    const cells = smallest
      .flatMap((g) => g.rows)
      .slice(0, 20)
      .flatMap((row) => qi.slice(0, 3).map(({ c }) => ({ row, column: c.name })));
    const names = qi.map(({ c }) => c.name).join(', ');
    const { kBlock, kReview } = ctx.thresholds;
    if (k < kBlock)
      return { rule: this.id, verdict: 'block', reason: `record-level output is only ${k}-anonymous over ${names} (needs at least ${kBlock})`, cells };
    const flat = sensitive.length > 0 ? [...groups.values()].filter((g) => g.values.some((v) => v.size < 2)).length : 0;
    if (k < kReview) return { rule: this.id, verdict: 'review', reason: `record-level output is ${k}-anonymous over ${names} (below ${kReview})`, cells };
    if (flat > 0)
      return {
        rule: this.id,
        verdict: 'review',
        reason: `${flat} group(s) over ${names} share one value of ${sensitive.map(({ c }) => c.name).join(', ')} (l-diversity 1)`,
      };
    return { rule: this.id, verdict: 'pass', reason: `record-level output is ${k}-anonymous over ${names}` };
  },
};
