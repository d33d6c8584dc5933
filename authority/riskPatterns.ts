// Patterns on which the domain raises a risk stop itself (R19): what the gates refuse, counted
// per authorization over a window. Each pattern reads the audit log only — the refusals are
// already there — so the domain judges from its own records, never from what a caller says.
// The thresholds are high enough that an analyst's ordinary mistakes never reach them; a stop
// halts the whole authorization until security staff resolve it.
export interface RiskPattern {
  readonly id: 'query_refusals' | 'export_reversibility' | 'product_differencing';
  /** Audit entries of the authorization that count, as SQL over the audit table (kind, body JSON). */
  readonly where: string;
  readonly threshold: number;
  readonly windowHours: number;
  describe(count: number): string;
}

export const RISK_PATTERNS: readonly RiskPattern[] = [
  {
    id: 'query_refusals',
    where: "kind = 'QUERY' AND json_extract(body, '$.data.verdict') = 'refused'",
    threshold: 100,
    windowHours: 1,
    describe: (n) => `${n} queries refused by the SQL gate within an hour: a script may be probing the gate`,
  },
  {
    id: 'export_reversibility',
    where:
      "kind IN ('EXPORT_REQUESTED', 'EXPORT_REVISED') AND EXISTS (SELECT 1 FROM json_each(json_extract(body, '$.data.rules')) r WHERE json_extract(r.value, '$.verdict') = 'block' AND json_extract(r.value, '$.rule') IN ('reversibility', 'direct_identifiers'))",
    threshold: 10,
    windowHours: 24,
    describe: (n) => `${n} export checks blocked for identifiers or reversible tokens within a day`,
  },
  {
    id: 'product_differencing',
    where: "kind = 'PRODUCT_CALL' AND json_extract(body, '$.data.code') = 'PRODUCT_DIFFERENCING'",
    threshold: 5,
    windowHours: 24,
    describe: (n) => `${n} product answers refused as differencing within a day: a consumer is walking through small cells`,
  },
];

/** The domain's own name as the raiser of a stop (nobody may resolve their own, so no person is it). */
export const DOMAIN_ACTOR = 'system';
