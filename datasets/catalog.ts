// The catalog of public datasets: fields, categories, grades, openness, roles and default
// masking. Everything downstream (masking, grants, export checks) reads it.
import { loadCatalogDir } from './catalogFile.ts';
import type { DatasetSpec, FieldSpec } from './types.ts';

/** Loaded once from datasets/catalog/*.json and validated against its JSON Schema. */
export const CATALOG: readonly DatasetSpec[] = loadCatalogDir();

/** Where operators' own datasets (R13) are looked up: one per open data home in this process. */
const ownResolvers = new Set<(id: string) => DatasetSpec | undefined>();

/** Registers a home's look-up of own datasets; the returned function removes it (on close). */
export function addOwnDatasetResolver(resolve: (id: string) => DatasetSpec | undefined): () => void {
  ownResolvers.add(resolve);
  return () => ownResolvers.delete(resolve);
}

/** A public catalog entry, or an authorization's own dataset once it is loaded. */
export function findDataset(id: string): DatasetSpec | undefined {
  const pub = CATALOG.find((d) => d.id === id);
  if (pub || !id.startsWith('own_')) return pub;
  for (const resolve of ownResolvers) {
    const own = resolve(id);
    if (own) return own;
  }
  return undefined;
}

/** Fields that must never be granted (R8): graded core or marked prohibited. */
export function isGrantable(field: Pick<FieldSpec, 'grade' | 'openness'>): boolean {
  return field.grade !== 'core' && field.openness !== 'prohibited';
}

/** Fields whose raw values must never appear in a tenant file (checked after every build). */
export function isProtectedField(field: Pick<FieldSpec, 'role' | 'category'>): boolean {
  return field.role === 'direct_identifier' || field.category === 'sensitive_personal';
}
