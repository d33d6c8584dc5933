// The catalog of public datasets: fields, categories, grades, openness, roles and default
// masking. Everything downstream (masking, grants, export checks) reads it.
import { loadCatalogDir } from './catalogFile.ts';
import type { DatasetSpec, FieldSpec } from './types.ts';

/** Loaded once from datasets/catalog/*.json and validated against its JSON Schema. */
export const CATALOG: readonly DatasetSpec[] = loadCatalogDir();

export function findDataset(id: string): DatasetSpec | undefined {
  return CATALOG.find((d) => d.id === id);
}

/** Fields that must never be granted (R8): graded core or marked prohibited. */
export function isGrantable(field: Pick<FieldSpec, 'grade' | 'openness'>): boolean {
  return field.grade !== 'core' && field.openness !== 'prohibited';
}

/** Fields whose raw values must never appear in a tenant file (checked after every build). */
export function isProtectedField(field: Pick<FieldSpec, 'role' | 'category'>): boolean {
  return field.role === 'direct_identifier' || field.category === 'sensitive_personal';
}
