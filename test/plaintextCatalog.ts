// Imported first by the suites that attack the export gate itself: a catalog whose owners let
// every field be used in plaintext, so the scripts can reach what the gate must then stop. The
// export gate is a wall of its own and must hold when column usage levels do not stand before it.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const from = new URL('../datasets/catalog/', import.meta.url);
const dir = mkdtempSync(join(tmpdir(), 'opdomain-catalog-'));
mkdirSync(dir, { recursive: true });
for (const f of readdirSync(from)) {
  const entry = JSON.parse(readFileSync(new URL(f, from), 'utf8'));
  if (f !== 'catalog.schema.json') for (const field of entry.fields) field.usage = { sandbox: 'plaintext', export: 'plaintext' };
  delete entry.$schema;
  writeFileSync(join(dir, f), JSON.stringify(entry));
}
process.env.OPDOMAIN_CATALOG_DIR = dir;
