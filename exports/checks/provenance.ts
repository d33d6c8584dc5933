// provenance: every output column must be tied by content to a column of a query result the
// gate allowed. A column the script made, changed or chose is script-derived: it may carry
// anything the job read, so it never passes — a reviewer must see what it is (and where the
// job read identifiers into the script, reversibility blocks it). A column whose query shape the
// lineage could not follow goes to a reviewer too.
import type { RuleResult } from '../verdict.ts';
import type { CheckContext, Rule } from './context.ts';

export const provenance: Rule = {
  id: 'provenance',
  check(ctx: CheckContext): RuleResult {
    const cols = ctx.provenance.columns;
    const derived = cols.filter((c) => !c.source).map((c) => c.name);
    const unknown = cols.filter((c) => c.source && c.unknown).map((c) => c.name);
    const q = ctx.provenance.query;
    if (derived.length > 0) {
      return {
        rule: this.id,
        verdict: 'review',
        reason: `column(s) ${derived.join(', ')} are script-derived: their values are in no query result the gate allowed (made, changed or chosen in the script), so they are judged as carrying anything the job read`,
        cells: derived.map((column) => ({ column })),
      };
    }
    if (unknown.length > 0)
      return {
        rule: this.id,
        verdict: 'review',
        reason: `the lineage of column(s) ${unknown.join(', ')} could not be followed through their query; they inherit every column the query reads`,
        cells: unknown.map((column) => ({ column })),
      };
    if (cols.length === 0 || !q) return { rule: this.id, verdict: 'review', reason: 'the output could not be tied to any query result' };
    return {
      rule: this.id,
      verdict: 'pass',
      reason: `every column is a column of the result of query #${q.index + 1}${ctx.provenance.rowsDropped ? ' (some of its rows left out by the script)' : ''}`,
    };
  },
};
