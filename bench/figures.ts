// What every bench shares: numeric flags, percentiles, and the table of figures it prints (each
// also logged to stderr as it is measured).
export const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
};

export const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;

export const ms = (x: number): string => `${x.toFixed(x < 10 ? 2 : 1)} ms`;

export class Figures {
  readonly rows: [string, string, string][] = [];

  report(what: string, value: string, ratio = '—'): void {
    this.rows.push([what, value, ratio]);
    console.error(`${what}: ${value} ${ratio}`);
  }
}
