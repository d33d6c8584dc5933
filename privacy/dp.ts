// Exact discrete noise for differentially private aggregates: the discrete Laplace distribution
// sampled with integer arithmetic only and the operating system's randomness (Canonne, Kamath &
// Steinke, "The Discrete Gaussian for Differential Privacy", 2020, Algorithms 1 and 2). No
// floating-point draw is ever made, so the released value carries no floating-point artefact
// (Mironov 2012). Rationals are [numerator, denominator] of non-negative integers.
import { randomInt } from 'node:crypto';

export type Rational = readonly [bigint, bigint];

/** A uniform integer in [0, n), n ≥ 1, from the operating system's randomness (any size). */
function uniform(n: bigint): bigint {
  if (n <= 0n) throw new RangeError('uniform(n) needs n ≥ 1');
  if (n <= 0xffffffffffffn) return BigInt(randomInt(0, Number(n)));
  // Rejection over 48-bit limbs for larger ranges.
  const bits = n.toString(2).length;
  for (;;) {
    let x = 0n;
    for (let b = 0; b < bits; b += 48) x = (x << 48n) | BigInt(randomInt(0, 2 ** 48));
    x &= (1n << BigInt(bits)) - 1n;
    if (x < n) return x;
  }
}

/** Bernoulli(n/d). */
export function bernoulli([n, d]: Rational): boolean {
  return uniform(d) < n;
}

/** Bernoulli(exp(-n/d)) for n/d ≥ 0 (CKS Algorithm 1). */
export function bernoulliExp([n, d]: Rational): boolean {
  if (n <= d) {
    let k = 1n;
    for (;;) {
      if (!bernoulli([n, d * k])) return k % 2n === 1n;
      k++;
    }
  }
  for (let i = 0n; i < n / d; i++) if (!bernoulliExp([1n, 1n])) return false;
  return bernoulliExp([n % d, d]);
}

/**
 * Discrete Laplace with scale s/t: P(Z = z) ∝ exp(-|z|·t/s) for integer z (CKS Algorithm 2 with
 * their t = s and s = t). For ε-DP on a sum of integer sensitivity Δ, the scale is Δ/ε.
 */
export function discreteLaplace([s, t]: Rational): bigint {
  if (s <= 0n || t <= 0n) throw new RangeError('discreteLaplace needs a positive scale');
  for (;;) {
    const u = uniform(s);
    if (!bernoulliExp([u, s])) continue;
    let v = 0n;
    while (bernoulliExp([1n, 1n])) v++;
    const x = u + s * v;
    const y = x / t;
    const negative = bernoulli([1n, 2n]);
    if (negative && y === 0n) continue;
    return negative ? -y : y;
  }
}

/** A decimal ε or δ as an exact rational (at most 9 decimals). */
export function rational(x: number, what: string): Rational {
  if (!Number.isFinite(x) || x <= 0) throw new RangeError(`${what} must be a positive number`);
  const text = x.toFixed(9).replace(/0+$/, '').replace(/\.$/, '');
  const [whole, frac = ''] = text.split('.');
  const den = 10n ** BigInt(frac.length);
  return [BigInt(whole!) * den + BigInt(frac || '0'), den];
}

/** The scale Δ/ε as a rational, for an integer sensitivity. */
export function laplaceScale(sensitivity: bigint, epsilon: Rational): Rational {
  return [sensitivity * epsilon[1], epsilon[0]];
}

/**
 * The threshold a noisy count must reach to be released when group keys are not public: a group
 * of one unit (true count 1) passes with probability at most δ. For discrete Laplace with
 * parameter p = exp(-1/b), P(Z ≥ k) = p^k / (1 + p).
 */
export function releaseThreshold(scale: number, delta: number): number {
  const p = Math.exp(-1 / scale);
  const k = Math.ceil(Math.log(delta * (1 + p)) / Math.log(p));
  return 1 + Math.max(1, k);
}
