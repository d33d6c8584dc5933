// The data home contract (DESIGN.md): every path Opdomain reads or writes, under one folder.
import { resolve, join } from 'node:path';

export interface HomePaths {
  readonly root: string;
  readonly raw: string;
  readonly rawDb: string;
  readonly tenants: string;
  readonly control: string;
  readonly controlDb: string;
  readonly keys: string;
  readonly audit: string;
  readonly exports: string;
  tenantDir(id: string): string;
  tenantDb(id: string, env: 'dev' | 'prod'): string;
  tenantKey(id: string): string;
  /** The authorization's own raw store (imported datasets, R13): deleted with the domain. */
  ownRaw(id: string): string;
  /** Where an import request's uploaded file waits for the authority's decision. */
  ownStaging(id: string, request: string, ext: string): string;
  outputsDir(tenant: string, jobId: string): string;
}

/** `--home DIR`, else $OPDOMAIN_HOME, else ./.opdomain. */
export function resolveHome(dir?: string): string {
  return resolve(dir ?? process.env.OPDOMAIN_HOME ?? '.opdomain');
}

export function homePaths(dir?: string): HomePaths {
  const root = resolveHome(dir);
  const tenants = join(root, 'tenants');
  const control = join(root, 'control');
  const keys = join(control, 'keys');
  return {
    root,
    raw: join(root, 'raw'),
    rawDb: join(root, 'raw', 'public.duckdb'),
    tenants,
    control,
    controlDb: join(control, 'control.sqlite'),
    keys,
    audit: join(root, 'audit'),
    exports: join(root, 'exports'),
    tenantDir: (id) => join(tenants, id),
    tenantDb: (id, env) => join(tenants, id, `${env}.duckdb`),
    tenantKey: (id) => join(keys, 'tenants', `${id}.key`),
    ownRaw: (id) => join(tenants, id, 'own', 'raw.duckdb'),
    ownStaging: (id, request, ext) => join(tenants, id, 'own', 'staging', `${request}.${ext}`),
    outputsDir: (tenant, jobId) => join(tenants, tenant, 'outputs', jobId),
  };
}
