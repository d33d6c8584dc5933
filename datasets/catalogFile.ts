// Catalog entries are JSON files (datasets/catalog/*.json), checked against
// datasets/catalog/catalog.schema.json (JSON Schema 2020-12, ajv) and for consistency
// (unique ids and field names, a sample key that exists) when they are loaded.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ValidateFunction } from 'ajv';
import { OpError } from '../errors/index.ts';
import type { DatasetSpec } from './types.ts';

const CATALOG_DIR = fileURLToPath(new URL('./catalog/', import.meta.url));
const SCHEMA = JSON.parse(readFileSync(join(CATALOG_DIR, 'catalog.schema.json'), 'utf8'));
// The compiled build ships this schema's validator as code (bin/build.js), so a CLI command does
// not spend ~100 ms compiling it at start-up; run from the sources, it is compiled here.
const PRECOMPILED = './catalogSchema.validate.cjs';
const validateEntry: ValidateFunction = await import(PRECOMPILED).then(
  (m: { default: ValidateFunction }) => m.default,
  async () => {
    const { Ajv2020 } = await import('ajv/dist/2020.js');
    return new Ajv2020({ allErrors: true, strict: true }).compile(SCHEMA);
  },
);

/** Validates one parsed entry; throws CATALOG_INVALID naming what is wrong. */
export function checkCatalogEntry(entry: unknown, where = 'catalog entry'): DatasetSpec {
  if (!validateEntry(entry)) {
    const problems = (validateEntry.errors ?? [])
      .slice(0, 5)
      .map((e) => `${e.instancePath || '/'} ${e.message}`)
      .join('; ');
    throw new OpError('CATALOG_INVALID', `${where}: ${problems}`);
  }
  const spec = entry as unknown as DatasetSpec & { $schema?: string };
  const names = spec.fields.map((f) => f.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new OpError('CATALOG_INVALID', `${where}: field "${dup}" appears twice`);
  if (spec.unit && !names.includes(spec.unit.field)) throw new OpError('CATALOG_INVALID', `${where}: unit field "${spec.unit.field}" is not a field`);
  if (spec.sampleKey && !names.includes(spec.sampleKey)) throw new OpError('CATALOG_INVALID', `${where}: sampleKey "${spec.sampleKey}" is not a field`);
  const { $schema: _s, ...rest } = spec;
  return rest as DatasetSpec;
}

/** The catalog folder: datasets/catalog, or a province's own catalog at $OPDOMAIN_CATALOG_DIR. */
export function loadCatalogDir(dir = process.env.OPDOMAIN_CATALOG_DIR || CATALOG_DIR): DatasetSpec[] {
  const specs = readdirSync(dir)
    .filter((f) => f.endsWith('.json') && f !== 'catalog.schema.json')
    .sort()
    .map((f) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(readFileSync(join(dir, f), 'utf8'));
      } catch (err) {
        throw new OpError('CATALOG_INVALID', `${f}: not valid JSON (${(err as Error).message})`);
      }
      return checkCatalogEntry(parsed, f);
    });
  const ids = specs.map((s) => s.id);
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup) throw new OpError('CATALOG_INVALID', `dataset id "${dup}" appears twice`);
  return specs;
}
