// The folder graph of docs/architecture.md, kept true: each folder imports only the folders its
// row names (errors/ is the leaf every layer may use), always through their index.ts, and
// nothing imports gateway/. Read from the sources themselves, tests excluded.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('..', import.meta.url).pathname;

const ALLOWED: Record<string, readonly string[]> = {
  errors: [],
  datasets: [],
  store: [],
  masking: ['datasets'],
  lineage: ['store'],
  sandbox: ['datasets', 'privacy'],
  authority: [],
  privacy: [],
  exports: ['datasets', 'masking', 'lineage', 'sandbox'],
  domain: ['datasets', 'masking', 'lineage', 'store', 'sandbox', 'exports', 'authority'],
  products: ['lineage', 'sandbox', 'exports', 'authority'],
  gateway: ['datasets', 'masking', 'lineage', 'store', 'sandbox', 'exports', 'domain', 'authority', 'products', 'privacy'],
};

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return f === 'console' || f === 'node_modules' ? [] : sources(p);
    return p.endsWith('.ts') && !p.endsWith('.test.ts') && !p.endsWith('.d.ts') ? [p] : [];
  });
}

describe('the folder graph', () => {
  it('every import crosses folders only where docs/architecture.md says, and only through index.ts', () => {
    const wrong: string[] = [];
    for (const folder of Object.keys(ALLOWED)) {
      for (const file of sources(join(ROOT, folder))) {
        const text = readFileSync(file, 'utf8');
        for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)) {
          const target = relative(ROOT, join(file, '..', m[1]!));
          const top = target.split('/')[0]!;
          if (top === folder || top === 'errors') {
            if (top === 'errors' && folder !== 'errors' && target !== 'errors/index.ts') wrong.push(`${relative(ROOT, file)} → ${target} (not through index.ts)`);
            continue;
          }
          if (!ALLOWED[folder]!.includes(top)) wrong.push(`${relative(ROOT, file)} → ${target} (${folder}/ may not import ${top}/)`);
          else if (target !== `${top}/index.ts`) wrong.push(`${relative(ROOT, file)} → ${target} (not through index.ts)`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });
});
