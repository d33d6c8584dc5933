// reversibility: an output column carried from a direct identifier by identity or by any
// per-row transformation (a token, a masked phone, a substring, a hash of one) leads back to
// the person — blocked whatever its values look like. A script-derived column in a job that read
// identifiers into the script is treated as one: the script may have re-encoded them (reversed,
// split, turned into numbers), which no value check can see.
import { carriedOf, identifiersRead, roleOf } from '../provenance.ts';
import type { RuleResult } from '../verdict.ts';
import type { CheckContext, Rule } from './context.ts';

export const reversibility: Rule = {
  id: 'reversibility',
  check(ctx: CheckContext): RuleResult {
    const carried: string[] = [];
    const fields = new Set<string>();
    const read = identifiersRead(ctx.provenance);
    const derived: string[] = [];
    for (const c of ctx.provenance.columns) {
      if (!c.source) {
        if (read.length > 0) derived.push(c.name);
        continue;
      }
      const ids = carriedOf(c).filter((i) => roleOf(i.table, i.column) === 'direct_identifier');
      if (ids.length === 0) continue;
      carried.push(c.name);
      ids.forEach((i) => fields.add(`${i.table}.${i.column}`));
    }
    const parts: string[] = [];
    if (carried.length > 0)
      parts.push(
        `column(s) ${carried.join(', ')} are carried row by row from direct identifiers (${[...fields].sort().join(', ')}); tokens and masked values lead back to the person`,
      );
    if (derived.length > 0)
      parts.push(
        `script-derived column(s) ${derived.join(', ')} come from a job that read direct identifiers (${read.join(', ')}) into the script and are treated as identifiers`,
      );
    if (parts.length === 0)
      return {
        rule: this.id,
        verdict: 'pass',
        reason: read.length > 0 ? 'no output column is carried from a direct identifier' : 'the job read no direct identifier into the script',
      };
    return { rule: this.id, verdict: 'block', reason: parts.join('; '), cells: [...carried, ...derived].map((column) => ({ column })) };
  },
};
