// reversibility: an output column carried from a direct identifier by identity or by any
// per-row transformation (a token, a masked phone, a substring, a hash of one) leads back to
// the person — blocked whatever its values look like. Read from the column lineage of the
// job's queries; aggregates (a count of ID numbers) are not carried values.
import type { RuleResult } from '../verdict.ts';
import type { CheckContext, Rule } from './context.ts';

export const reversibility: Rule = {
  id: 'reversibility',
  check(ctx: CheckContext): RuleResult {
    const cols: string[] = [];
    const fields = new Set<string>();
    for (const c of ctx.output.columns) {
      const name = c.name.toLowerCase();
      for (const q of ctx.queries) {
        if (!(q.columnRoles[name] ?? []).includes('direct_identifier')) continue;
        if (!cols.includes(c.name)) cols.push(c.name);
        for (const f of q.columnFields[name] ?? []) fields.add(f);
      }
    }
    if (cols.length === 0) return { rule: this.id, verdict: 'pass', reason: 'no output column is carried from a direct identifier' };
    return {
      rule: this.id,
      verdict: 'block',
      reason: `column(s) ${cols.join(', ')} are carried row by row from direct identifiers (${[...fields].sort().join(', ')}); tokens and masked values lead back to the person`,
      cells: cols.map((column) => ({ column })),
    };
  },
};
