// The folder graph of docs/architecture.md, kept true: each folder imports only the folders its
// row names (errors/ is the leaf every layer may use), always through their index.ts, and
// nothing imports gateway/ (services/ is the floor both doors stand on). Read from the sources
// themselves, tests excluded.
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
  // The application floor: the services both doors call (roles, scopes, audit payloads, views).
  services: ['datasets', 'masking', 'lineage', 'store', 'sandbox', 'exports', 'domain', 'authority', 'products', 'privacy'],
  // The doors: HTTP, CLI, console. They reach the layers below through the services.
  gateway: ['datasets', 'masking', 'lineage', 'store', 'sandbox', 'exports', 'domain', 'authority', 'products', 'privacy', 'services'],
};

/**
 * Files a door may import without their folder's index.ts: the CLI's read-only catalog view,
 * which must not load the whole service floor (DuckDB, isolated-vm) to list the catalog
 * (docs/benchmarks.md, "CLI start-up").
 */
const LIGHT_ENTRIES: ReadonlySet<string> = new Set(['services/catalogView.ts']);

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
            if (top === 'errors' && folder !== 'errors' && target !== 'errors/index.ts')
              wrong.push(`${relative(ROOT, file)} → ${target} (not through index.ts)`);
            continue;
          }
          if (!ALLOWED[folder]!.includes(top)) wrong.push(`${relative(ROOT, file)} → ${target} (${folder}/ may not import ${top}/)`);
          else if (target !== `${top}/index.ts` && !LIGHT_ENTRIES.has(target)) wrong.push(`${relative(ROOT, file)} → ${target} (not through index.ts)`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });
});
