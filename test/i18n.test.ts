// The console speaks Chinese and English from one table (gateway/console/lib/i18n.js): both
// languages have the same keys, none empty, and every key a page asks for exists.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const CONSOLE = new URL('../gateway/console/', import.meta.url).pathname;
const source = readFileSync(join(CONSOLE, 'lib/i18n.js'), 'utf8');
// The table is plain data: read it without a browser (the module touches localStorage at load).
const TEXT = new Function(`${/const TEXT = (\{[\s\S]*?\n\});/.exec(source)![0]}; return TEXT;`)() as Record<'en' | 'zh', Record<string, string>>;

const files = (dir: string): string[] =>
  readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : f.endsWith('.js') ? [join(dir, f)] : []));

describe('console modules', () => {
  it('every console file parses as a module (a slip here blanks the whole console)', async () => {
    const { execFileSync } = await import('node:child_process');
    const bad = files(CONSOLE)
      .filter((f) => !f.includes('/vendor/'))
      .filter((f) => {
        try {
          execFileSync(process.execPath, ['--check', f], { stdio: 'pipe' });
          return false;
        } catch {
          return true;
        }
      });
    expect(bad).toEqual([]);
  });
});

describe('console text in two languages', () => {
  it('English and Chinese have the same keys, none empty, and the same placeholders', () => {
    expect(Object.keys(TEXT.zh).sort()).toEqual(Object.keys(TEXT.en).sort());
    const empty = Object.entries({ ...TEXT.en })
      .filter(([k, v]) => !v.trim() || !TEXT.zh[k]!.trim())
      .map(([k]) => k);
    expect(empty).toEqual([]);
    const holes = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    expect(Object.keys(TEXT.en).filter((k) => JSON.stringify(holes(TEXT.en[k]!)) !== JSON.stringify(holes(TEXT.zh[k]!)))).toEqual([]);
  });

  it('every rule of the export check has a name and, for each verdict, a meaning in both languages', async () => {
    const { RULES } = await import('../exports/checks/index.ts');
    const keys = RULES.flatMap((r) => [`rule_${r.id}`, ...['pass', 'review', 'block'].map((v) => `why_${r.id}_${v}`)]);
    expect(keys.filter((k) => !TEXT.en[k] || !TEXT.zh[k])).toEqual([]);
  });

  it('every code of the error registry has its Chinese title, and no other code does', async () => {
    const { ERRORS } = await import('../errors/index.ts');
    const ERROR_CODES = Object.keys(ERRORS);
    const errorSource = readFileSync(join(CONSOLE, 'lib/errorText.js'), 'utf8');
    const ZH = new Function(`${/const ERROR_ZH = (\{[\s\S]*?\n\});/.exec(errorSource)![0].replace('const ERROR_ZH', 'const T')}; return T;`)() as Record<
      string,
      string
    >;
    expect(Object.keys(ZH).sort()).toEqual([...ERROR_CODES].sort());
    expect(
      Object.entries(ZH)
        .filter(([, v]) => !/[\u4e00-\u9fff]/.test(v))
        .map(([k]) => k),
    ).toEqual([]);
  });

  it('every key a page asks for exists in both', () => {
    const used = new Set(
      files(CONSOLE)
        .filter((f) => !f.endsWith('i18n.js') && !f.includes('/vendor/'))
        .flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/\bt\('([A-Za-z0-9_]+)'/g)].map((m) => m[1]!)),
    );
    expect(used.size).toBeGreaterThan(150);
    expect([...used].filter((k) => !(k in TEXT.en) || !(k in TEXT.zh))).toEqual([]);
  });
});
