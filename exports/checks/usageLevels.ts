// usage_levels: the column usage levels of the export audience, propagated through the query
// each output column came from (the SQL gate's own derivation, sandbox/usage.ts). A column whose
// level for export is not plaintext is blocked — an operator's own tokens, plaintext to it in
// the sandbox, are join keys only to whoever receives an export. A script-derived column may carry
// anything its job read, so it is blocked when any query of the job returned such a column.
import type { RuleResult } from '../verdict.ts';
import type { CheckContext, Rule } from './context.ts';

export const usageLevels: Rule = {
  id: 'usage_levels',
  check(ctx: CheckContext): RuleResult {
    const levels = ctx.provenance.queries.map((q) => ctx.exportLevels(q));
    const restricted = levels.flatMap((items, i) => items.filter((it) => it.level !== 'plaintext').map((it) => ({ ...it, query: i })));
    const blocked: string[] = [];
    for (const c of ctx.provenance.columns) {
      if (!c.source) {
        if (restricted.length > 0)
          blocked.push(`${c.name} (script-derived, in a job that read ${restricted[0]!.from || 'a column'} at level ${restricted[0]!.level})`);
        continue;
      }
      const it = levels[c.source.query]?.[c.source.column];
      if (!it) blocked.push(`${c.name} (its level could not be derived)`);
      else if (it.level !== 'plaintext') blocked.push(`${c.name} (from ${it.from}, level ${it.level} for export)`);
    }
    if (blocked.length === 0) return { rule: this.id, verdict: 'pass', reason: "every output column is plaintext at the export audience's usage levels" };
    return {
      rule: this.id,
      verdict: 'block',
      reason: `column(s) the export audience may not see: ${blocked.join('; ')}`,
      cells: ctx.provenance.columns.filter((c) => blocked.some((b) => b.startsWith(`${c.name} (`))).map((c) => ({ column: c.name })),
    };
  },
};
