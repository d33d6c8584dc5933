// Thresholds per authorization, never weaker than the floor the administrator sets for the
// domain. "Weaker" is per field: a smaller minimum, a larger cap or share. checkThresholds()
// throws; strictest() is what the check uses (floor and authorization combined).
import { OpError } from '../errors/index.ts';
import { DEFAULT_THRESHOLDS, type Thresholds } from './checks/index.ts';

/** Per field: 'min' — larger is stricter; 'max' — smaller is stricter. */
const DIRECTION: Record<keyof Thresholds, 'min' | 'max'> = {
  minCellCount: 'min',
  kBlock: 'min',
  kReview: 'min',
  maxRowsWithoutReview: 'max',
  maxBytesWithoutReview: 'max',
  dominanceN: 'max',
  dominanceK: 'max',
  pRatio: 'min',
  minResidualDf: 'min',
};

const RANGE: Record<keyof Thresholds, [number, number]> = {
  minCellCount: [1, 1000],
  kBlock: [1, 1000],
  kReview: [1, 1000],
  maxRowsWithoutReview: [1, 100_000_000],
  maxBytesWithoutReview: [1000, 10_000_000_000],
  dominanceN: [1, 10],
  dominanceK: [0.01, 1],
  pRatio: [0, 1],
  minResidualDf: [1, 10_000],
};

export const THRESHOLD_FIELDS = Object.keys(DIRECTION) as (keyof Thresholds)[];

/** Validates a partial set of thresholds (shape and range). */
export function parseThresholds(input: unknown): Partial<Thresholds> {
  if (input === undefined || input === null) return {};
  if (typeof input !== 'object' || Array.isArray(input)) throw new OpError('BAD_REQUEST', 'thresholds must be an object');
  const out: Partial<Record<keyof Thresholds, number>> = {};
  for (const [k, v] of Object.entries(input)) {
    if (!(k in DIRECTION)) throw new OpError('BAD_REQUEST', `unknown threshold "${k.slice(0, 40)}" (known: ${THRESHOLD_FIELDS.join(', ')})`);
    const [lo, hi] = RANGE[k as keyof Thresholds];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi)
      throw new OpError('BAD_REQUEST', `threshold ${k} must be a number from ${lo} to ${hi}`);
    out[k as keyof Thresholds] = v;
  }
  return out;
}

function stricter(k: keyof Thresholds, a: number, b: number): number {
  return DIRECTION[k] === 'min' ? Math.max(a, b) : Math.min(a, b);
}

/** The fields of `t` weaker than `floor`. */
export function weakerThan(t: Partial<Thresholds>, floor: Thresholds): (keyof Thresholds)[] {
  return THRESHOLD_FIELDS.filter((k) => t[k] !== undefined && stricter(k, t[k]!, floor[k]) !== t[k]);
}

export function checkThresholds(t: Partial<Thresholds>, floor: Thresholds): void {
  const weak = weakerThan(t, floor);
  if (weak.length > 0) throw new OpError('THRESHOLD_BELOW_FLOOR', `${weak.map((k) => `${k} ${t[k]} is weaker than the floor ${floor[k]}`).join('; ')}`);
}

/** What the check applies: per field the stricter of the floor and the authorization's value. */
export function strictest(floor: Thresholds, t: Partial<Thresholds>): Thresholds {
  const out = { ...floor } as Record<keyof Thresholds, number>;
  for (const k of THRESHOLD_FIELDS) if (t[k] !== undefined) out[k] = stricter(k, t[k]!, floor[k]);
  return out as unknown as Thresholds;
}

export { DEFAULT_THRESHOLDS };
