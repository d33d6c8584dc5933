// differencing: two releases of the same measure over the same group whose unit sets differ by
// a few units reveal those few (release A: everyone; release B: everyone but the over-90s →
// the difference is a handful of people named by elimination). Every released cell is in the
// domain-wide ledger (exports/ledger.ts); a new cell — or another cell of the same output — on
// the same measure and group whose units differ from a released one's by 0 < d < the threshold
// blocks, counts and magnitudes alike, naming the earlier release. Same size but another unit
// set (within one authorization, where unit fingerprints compare) goes to a reviewer.
import { ledgerCells } from '../ledger.ts';
import type { RuleResult } from '../verdict.ts';
import type { CheckContext, LedgerCell, PriorCell, Rule } from './context.ts';

export const differencing: Rule = {
  id: 'differencing',
  check(ctx: CheckContext): RuleResult {
    const mine = ledgerCells(ctx);
    if (mine.length === 0) return { rule: this.id, verdict: 'pass', reason: 'no measured cell to compare with earlier releases' };
    const min = ctx.thresholds.minCellCount;
    const blockedBy = new Set<string>();
    const swapped = new Set<string>();
    let n = 0;
    let smallest = Infinity;
    const compare = (c: LedgerCell, old: LedgerCell, source: string) => {
      const d = Math.abs(c.units - old.units);
      if (d > 0 && d < min) {
        n++;
        smallest = Math.min(smallest, d);
        blockedBy.add(source);
      } else if (d === 0 && c.tenant === old.tenant && c.fingerprint !== old.fingerprint) swapped.add(source);
    };
    const byKey = new Map<string, LedgerCell[]>();
    // One ledger read per measure, grouped here.
    const prior = new Map<string, Map<string, PriorCell[]>>();
    const priorOf = (c: LedgerCell) => {
      let m = prior.get(c.measure);
      if (!m) {
        m = new Map();
        for (const p of ctx.priorCells?.(c.measure) ?? []) m.set(p.group, [...(m.get(p.group) ?? []), p]);
        prior.set(c.measure, m);
      }
      return m.get(c.group) ?? [];
    };
    for (const c of mine) {
      const key = `${c.measure}\u0001${c.group}`;
      for (const other of byKey.get(key) ?? []) compare(c, other, 'another cell of this output');
      byKey.set(key, [...(byKey.get(key) ?? []), c]);
      for (const old of priorOf(c)) compare(c, old, old.tenant === ctx.tenant ? old.requestId : `${old.requestId} (authorization ${old.tenant})`);
    }
    // A released margin minus this output's cells under it (one more dimension) gives back the rest:
    // a trimmed table under an earlier total is a difference too.
    const sums = new Map<string, { measure: string; parent: string; units: number }>();
    for (const c of mine) {
      const g = JSON.parse(c.group) as [string, string | null][];
      g.forEach(([field], i) => {
        const parent = JSON.stringify(g.filter((_, k) => k !== i));
        const key = `${c.measure}\u0001${parent}\u0001${field}`;
        const cur = sums.get(key) ?? { measure: c.measure, parent, units: 0 };
        sums.set(key, { ...cur, units: cur.units + c.units });
      });
    }
    let recovered = 0;
    for (const { measure, parent, units } of sums.values()) {
      for (const p of priorOf({ measure, group: parent } as LedgerCell)) {
        const w = p.units - units;
        if (w > 0 && w < min) {
          recovered++;
          smallest = Math.min(smallest, w);
          blockedBy.add(p.tenant === ctx.tenant ? p.requestId : `${p.requestId} (authorization ${p.tenant})`);
        }
      }
    }
    if (recovered > 0) n += recovered;
    if (n > 0) return { rule: this.id, verdict: 'block', reason: `${n} cell(s) or margin(s) differ from an earlier release of the same measure and group by fewer than ${min} units (smallest difference ${smallest}; ${[...blockedBy].slice(0, 5).join(', ')}): the difference would identify them` };
    if (swapped.size > 0) return { rule: this.id, verdict: 'review', reason: `cells of the same measure and group were released over a different set of units of the same size (${[...swapped].slice(0, 5).join(', ')}): a reviewer must check what their difference reveals` };
    return { rule: this.id, verdict: 'pass', reason: `no cell differs from an earlier release by a small group (${mine.length} cell(s) compared)` };
  },
};
