// grade: an output derived from a core (核心) field is blocked; from an important (重要) one it
// needs a second reviewer (GB/T 43697-2024 grades in the catalog). "Derived" means an output
// column's inputs (identity, transformation, aggregation; counts of persons excepted) and
// the columns that filter the rows.
import { CATALOG } from '../../datasets/index.ts';
import type { RuleResult } from '../verdict.ts';
import type { CheckContext, Rule } from './context.ts';

function gradeOf(field: string): string | undefined {
  const [table, column] = field.split('.');
  return CATALOG.find((d) => d.id === table)?.fields.find((f) => f.name === column)?.grade;
}

export const grade: Rule = {
  id: 'grade',
  check(ctx: CheckContext): RuleResult {
    const names = new Set(ctx.output.columns.map((c) => c.name.toLowerCase()));
    const fields = new Set<string>();
    for (const q of ctx.queries) {
      const matched = Object.keys(q.columnFields).filter((k) => names.has(k));
      // A script that renames every column still derives from what its queries read.
      for (const k of matched.length > 0 ? matched : Object.keys(q.columnFields)) for (const f of q.columnFields[k]!) fields.add(f);
      for (const f of q.filterFields) fields.add(f);
    }
    const core = [...fields].filter((f) => gradeOf(f) === 'core').sort();
    const important = [...fields].filter((f) => gradeOf(f) === 'important').sort();
    if (core.length > 0) return { rule: this.id, verdict: 'block', reason: `derived from core data (${core.join(', ')}), which never leaves the domain` };
    if (important.length > 0) return { rule: this.id, verdict: 'review', reason: `derived from important data (${important.join(', ')}): two reviewers must approve` };
    return { rule: this.id, verdict: 'pass', reason: fields.size > 0 ? 'derived from general data only' : 'no catalog field traced to the output' };
  },
};
