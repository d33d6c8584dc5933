// SQL expression builders for the generator: check characters computed inside DuckDB
// (unrolled, so they vectorise) and hash-based deterministic uniforms.

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const USCC_CHARS = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
const ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2];

/** The ISO 7064 MOD 11-2 check character of a 17-digit SQL string expression. */
export function residentIdCheckSql(base17: string): string {
  const terms = ID_WEIGHTS.map((w, i) => `(ascii(substr(${base17}, ${i + 1}, 1)) - 48) * ${w}`).join(' + ');
  return `substr('10X98765432', ((${terms}) % 11)::INTEGER + 1, 1)`;
}

/** The MOD 11-2 weighted sum of a 6-digit county code (constant per county, computed once). */
export function countyWeightedSum(code: string): number {
  let sum = 0;
  for (let i = 0; i < 6; i++) sum += Number(code[i]) * ID_WEIGHTS[i]!;
  return sum;
}

/**
 * The check character from numeric parts — the county's weighted sum, the birth date as an
 * integer yyyymmdd and the 3-digit sequence — with integer arithmetic only (no per-character
 * string work: this runs once per person at up to tens of millions of rows).
 */
export function residentIdCheckFromPartsSql(countyWsum: string, yyyymmdd: string, seq: string): string {
  const date = Array.from({ length: 8 }, (_, j) => `((${yyyymmdd} // ${10 ** (7 - j)}) % 10) * ${ID_WEIGHTS[6 + j]}`).join(' + ');
  const sq = Array.from({ length: 3 }, (_, j) => `((${seq} // ${10 ** (2 - j)}) % 10) * ${ID_WEIGHTS[14 + j]}`).join(' + ');
  return `substr('10X98765432', ((${countyWsum} + ${date} + ${sq}) % 11)::INTEGER + 1, 1)`;
}

/** GB 11714 check character of an 8-digit organisation code body. */
export function orgCodeCheckSql(body8: string): string {
  const terms = ORG_WEIGHTS.map((w, i) => `(ascii(substr(${body8}, ${i + 1}, 1)) - 48) * ${w}`).join(' + ');
  return `CASE (11 - ((${terms}) % 11)) WHEN 10 THEN 'X' WHEN 11 THEN '0' ELSE (11 - ((${terms}) % 11))::VARCHAR END`;
}

/** GB 32100 check character of a 17-character unified social credit code prefix. */
export function creditCodeCheckSql(base17: string): string {
  const terms = USCC_WEIGHTS.map((w, i) => `(position(substr(${base17}, ${i + 1}, 1) IN '${USCC_CHARS}') - 1) * ${w}`).join(' + ');
  return `substr('${USCC_CHARS}', ((31 - ((${terms}) % 31)) % 31)::INTEGER + 1, 1)`;
}

/** A deterministic uniform in [0, 1) for row key `key`, salted by seed and a purpose label. */
export function uniformSql(key: string, seed: number, label: string): string {
  return `((hash(${key}, ${seed}::BIGINT, '${label}') % 1000003)::DOUBLE / 1000003.0)`;
}

/** A deterministic integer in [0, n) for row key `key`. */
export function pickSql(key: string, seed: number, label: string, n: number | string): string {
  return `(hash(${key}, ${seed}::BIGINT, '${label}') % ${n})::BIGINT`;
}

/** A standard normal via Box–Muller from two hash uniforms. */
export function normalSql(key: string, seed: number, label: string): string {
  const u1 = `greatest(${uniformSql(key, seed, `${label}1`)}, 1e-9)`;
  const u2 = uniformSql(key, seed, `${label}2`);
  return `(sqrt(-2 * ln(${u1})) * cos(2 * pi() * ${u2}))`;
}

export function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}
