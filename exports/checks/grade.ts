// grade: an output derived from a core (核心) field is blocked; from an important (重要) one it
// needs a second reviewer (GB/T 43697-2024 grades in the catalog). "Derived" means what each
// output column is made of by provenance (a script-derived column: everything the job read),
// counts of units excepted, and the columns that filter the rows of the query it came from.
import { findDataset } from '../../datasets/index.ts';
import type { RuleResult } from '../verdict.ts';
import type { CheckContext, Rule } from './context.ts';

function gradeOf(field: string): string | undefined {
  const [table, column] = field.split('.');
  return findDataset(table)?.fields.find((f) => f.name === column)?.grade;
}

export const grade: Rule = {
  id: 'grade',
  check(ctx: CheckContext): RuleResult {
    const fields = new Set<string>();
    ctx.provenance.columns.forEach((c, j) => {
      // A count of units says how many, nothing of the column counted.
      const counts = (ctx.view.measures[j]?.length ?? 0) > 0 && ctx.view.measures[j]!.every((m) => m.item.kind === 'count');
      for (const i of c.inputs) if (!(counts && i.subtype === 'AGGREGATION')) fields.add(`${i.table}.${i.column}`);
    });
    for (const d of ctx.provenance.query?.lineage?.dataset ?? []) if (d.subtype === 'FILTER') fields.add(`${d.table}.${d.column}`);
    const core = [...fields].filter((f) => gradeOf(f) === 'core').sort();
    const important = [...fields].filter((f) => gradeOf(f) === 'important').sort();
    if (core.length > 0) return { rule: this.id, verdict: 'block', reason: `derived from core data (${core.join(', ')}), which never leaves the domain` };
    if (important.length > 0)
      return { rule: this.id, verdict: 'review', reason: `derived from important data (${important.join(', ')}): two reviewers must approve` };
    if (fields.size === 0)
      return { rule: this.id, verdict: 'review', reason: 'no catalog field could be traced to the output: a reviewer must judge what it holds' };
    return { rule: this.id, verdict: 'pass', reason: 'derived from general data only' };
  },
};
