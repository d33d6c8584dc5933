// The catalog as users see it: each entry with its current version and row count. Kept apart
// from CatalogService so `opdomain datasets list|show` can answer from a read-only look at the
// control file without loading the runtime (DuckDB, the gate, the services): a CLI start-up
// of a few hundred milliseconds instead of a second.
import { existsSync } from 'node:fs';
import { CATALOG, findDataset, type DatasetSpec } from '../datasets/index.ts';
import { OpError } from '../errors/index.ts';
import { homePaths, openReadOnly } from '../store/index.ts';

export interface CatalogEntryView extends DatasetSpec {
  readonly version: number | null;
  readonly rowCount: number | null;
  readonly contentHash: string | null;
}

export interface LatestVersion {
  readonly version: number;
  readonly rows: number;
  readonly contentHash: string;
}

export function catalogEntryView(spec: DatasetSpec, latest: LatestVersion | undefined): CatalogEntryView {
  return { ...spec, version: latest?.version ?? null, rowCount: latest?.rows ?? null, contentHash: latest?.contentHash ?? null };
}

export function checkCatalogEntryExists(id: string): DatasetSpec {
  const spec = findDataset(id);
  if (!spec) throw new OpError('DATASET_NOT_FOUND', `no dataset "${String(id).slice(0, 64)}" in the catalog`);
  return spec;
}

/** The public catalog of a home, read without opening it for writing (a home not set up yet has no versions). */
export function readPublicCatalog(home?: string): CatalogEntryView[] {
  const file = homePaths(home).controlDb;
  if (!existsSync(file)) return CATALOG.map((d) => catalogEntryView(d, undefined));
  const db = openReadOnly(file);
  try {
    const latest = (id: string) =>
      db.get<LatestVersion>('SELECT version, rows, content_hash AS contentHash FROM dataset_versions WHERE dataset = ? ORDER BY version DESC LIMIT 1', id);
    return CATALOG.map((d) => catalogEntryView(d, latest(d.id)));
  } finally {
    db.close();
  }
}
