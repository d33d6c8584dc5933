// direct_identifiers: any cell that validates as a resident ID number, credit code, mobile
// number or bank card, or that equals a raw, masked or tokenized identifier value of the
// domain, blocks the export — masking or tokenizing an identifier does not make it safe to leave.
import { findDataset, identifierKind, isProtectedField } from '../../datasets/index.ts';
import type { ColumnProvenance } from '../provenance.ts';
import type { RuleResult } from '../verdict.ts';
import type { CheckContext, Rule } from './context.ts';

const isProtected = (table: string, column: string) => {
  const f = findDataset(table)?.fields.find((x) => x.name === column);
  return !f || isProtectedField(f);
};

/**
 * Whether a column's values need the join against the domain's identifier values: every column
 * except those whose provenance is established and draws on no protected field (a county code
 * tied by content to `population.county_code` cannot hold a token).
 */
const needsJoin = (c: ColumnProvenance | undefined) => !c?.source || c.unknown || c.inputs.length === 0 || c.inputs.some((i) => isProtected(i.table, i.column));

export const directIdentifiers: Rule = {
  id: 'direct_identifiers',
  async check(ctx: CheckContext): Promise<RuleResult> {
    const cells: { row: number; column: string }[] = [];
    const kinds = new Set<string>();
    const { columns, rows } = ctx.output;
    const strings = new Set<string>();
    const join = columns.map((_, j) => needsJoin(ctx.provenance.columns[j]));
    rows.forEach((r, i) =>
      columns.forEach((c, j) => {
        const v = r[j];
        if (v === null || v === undefined || typeof v === 'boolean') return;
        const s = String(v);
        const kind = identifierKind(s);
        if (kind) {
          kinds.add(kind);
          if (cells.length < 20) cells.push({ row: i, column: c.name });
        }
        if (typeof v === 'string' && join[j]) strings.add(s);
      }),
    );
    const matches = await ctx.identifierMatches([...strings]);
    if (matches.size > 0) {
      rows.forEach((r, i) =>
        columns.forEach((c, j) => {
          const field = typeof r[j] === 'string' ? matches.get(r[j] as string) : undefined;
          if (field) {
            kinds.add(field);
            if (cells.length < 20) cells.push({ row: i, column: c.name });
          }
        }),
      );
    }
    if (kinds.size === 0) return { rule: this.id, verdict: 'pass', reason: 'no value is or equals a direct identifier' };
    const cols = [...new Set(cells.map((c) => c.column))];
    return {
      rule: this.id,
      verdict: 'block',
      reason: `column(s) ${cols.join(', ')} carry direct identifiers (${[...kinds].sort().join(', ')}), masked or tokenized values included`,
      cells,
    };
  },
};
