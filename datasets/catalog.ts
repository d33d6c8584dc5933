// The catalog of public datasets: fields, categories, grades, openness, roles and default
// masking. Everything downstream (masking, grants, export checks) reads it.
import { loadCatalogDir } from './catalogFile.ts';
import type { DatasetSpec, FieldSpec } from './types.ts';

/** Loaded once from datasets/catalog/*.json and validated against its JSON Schema. */
export const CATALOG: readonly DatasetSpec[] = loadCatalogDir();

/** Where operators' own datasets (R13) are looked up: set by whoever holds the store. */
let ownResolver: ((id: string) => DatasetSpec | undefined) | undefined;

export function setOwnDatasetResolver(resolve: ((id: string) => DatasetSpec | undefined) | undefined): void {
  ownResolver = resolve;
}

/** A public catalog entry, or an authorization's own dataset once it is loaded. */
export function findDataset(id: string): DatasetSpec | undefined {
  return CATALOG.find((d) => d.id === id) ?? (id.startsWith('own_') ? ownResolver?.(id) : undefined);
}

/** Fields that must never be granted (R8): graded core or marked prohibited. */
export function isGrantable(field: Pick<FieldSpec, 'grade' | 'openness'>): boolean {
  return field.grade !== 'core' && field.openness !== 'prohibited';
}

/** Fields whose raw values must never appear in a tenant file (checked after every build). */
export function isProtectedField(field: Pick<FieldSpec, 'role' | 'category'>): boolean {
  return field.role === 'direct_identifier' || field.category === 'sensitive_personal';
}
