// Versions of the raw store's datasets: each load with a new content hash is a new version,
// recorded with an audit event; builds and lineage name the versions they used.
import type { DatasetVersion } from '../datasets/index.ts';
import { EVENTS, type AuditLog } from '../lineage/index.ts';
import type { Store } from '../store/index.ts';

export interface RecordedVersion {
  readonly dataset: string;
  readonly version: number;
  readonly contentHash: string;
  readonly rows: number;
}

export class DatasetVersions {
  constructor(
    private readonly store: Store,
    private readonly audit: AuditLog,
  ) {}

  /** Records each changed dataset as a new version; `source` says where the data came from. */
  record(versions: readonly DatasetVersion[], actor: string, source: Record<string, unknown> = { kind: 'sample' }): RecordedVersion[] {
    return this.store.tx(() =>
      versions.map((v) => {
        const last = this.latest(v.dataset);
        if (last && last.contentHash === v.contentHash) return last;
        const version = (last?.version ?? 0) + 1;
        this.store.run(
          'INSERT INTO dataset_versions (dataset, version, content_hash, rows, loaded_at) VALUES (?, ?, ?, ?, ?)',
          v.dataset,
          version,
          v.contentHash,
          v.rows,
          new Date().toISOString(),
        );
        this.audit.append({
          kind: EVENTS.DATASET_LOADED,
          actor,
          subject: `${v.dataset}@${version}`,
          data: { dataset: v.dataset, version, contentHash: v.contentHash, rows: v.rows, source },
        });
        return { dataset: v.dataset, version, contentHash: v.contentHash, rows: v.rows };
      }),
    );
  }

  latest(dataset: string): RecordedVersion | undefined {
    const r = this.store.get<{ dataset: string; version: number; content_hash: string; rows: number }>(
      'SELECT * FROM dataset_versions WHERE dataset = ? ORDER BY version DESC LIMIT 1',
      dataset,
    );
    return r ? { dataset: r.dataset, version: r.version, contentHash: r.content_hash, rows: r.rows } : undefined;
  }
}
