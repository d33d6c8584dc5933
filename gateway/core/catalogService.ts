// The catalog as users see it (entries with their current version and row count), and the
// administrator's ways to put data into the raw store: sample generation and real imports.
import { CATALOG, generateSampleData, importDatasetFile, type DatasetSpec } from '../../datasets/index.ts';
import { OpError } from '../../errors/index.ts';
import { EVENTS } from '../../lineage/index.ts';
import type { RecordedVersion } from '../../domain/index.ts';
import type { DomainContext } from './context.ts';
import { checkRole, type Principal } from './principal.ts';
import { catalogEntryView, checkCatalogEntryExists, type CatalogEntryView } from './catalogView.ts';

export type { CatalogEntryView } from './catalogView.ts';

export class CatalogService {
  constructor(private readonly ctx: DomainContext) {}

  private view(spec: DatasetSpec): CatalogEntryView {
    return catalogEntryView(spec, this.ctx.versions.latest(spec.id));
  }

  /** The public catalog, and the caller's own datasets (an operator sees only its authorization's). */
  list(p?: Principal): CatalogEntryView[] {
    const own = p ? this.ctx.store.all<{ spec: string }>("SELECT spec FROM imports WHERE state = 'loaded' AND (? IS NULL OR tenant = ?) ORDER BY dataset", p.role === 'operator' ? p.tenant : null, p.role === 'operator' ? p.tenant : null) : [];
    return [...CATALOG, ...own.map((r) => JSON.parse(r.spec) as DatasetSpec)].map((d) => this.view(d));
  }

  show(id: string): CatalogEntryView {
    return this.view(checkCatalogEntryExists(id));
  }

  /** Replaces the raw store with generated sample data (administrators; anyone on a home with no users yet). */
  async generate(p: Principal | null, opts: { scale: number; seed?: number; onProgress?: (s: string, d: number, t: number) => void }): Promise<RecordedVersion[]> {
    if (p) checkRole(p, 'admin');
    else if (this.ctx.people.list().length > 0) throw new OpError('AUTH_REQUIRED', 'this domain has users: generate as an administrator (--as or a token)');
    const versions = await generateSampleData(this.ctx.paths.rawDb, { scale: opts.scale, ...(opts.seed !== undefined ? { seed: opts.seed } : {}), ...(opts.onProgress ? { onProgress: opts.onProgress } : {}) });
    return this.ctx.versions.record(versions, p?.user ?? 'system', { kind: 'sample', scale: opts.scale, seed: opts.seed ?? null });
  }

  /** Loads a department's CSV/Parquet file as a new version of a dataset (administrators only). */
  async import(p: Principal, id: string, file: string): Promise<{ version: RecordedVersion; rows: number; fileSha256: string }> {
    checkRole(p, 'admin');
    const spec = checkCatalogEntryExists(id);
    try {
      const { report, version } = await importDatasetFile(this.ctx.paths.rawDb, spec, file);
      const [recorded] = this.ctx.versions.record([version], p.user, { kind: 'import', fileSha256: report.fileSha256, rows: report.rows });
      return { version: recorded!, rows: report.rows, fileSha256: report.fileSha256 };
    } catch (err) {
      if (err instanceof OpError && err.code === 'IMPORT_INVALID') {
        const report = err.details?.report as { fileSha256?: string; problems?: { column: string; issue: string; count: number }[] } | undefined;
        this.ctx.audit.append({
          kind: EVENTS.DATASET_IMPORT_REFUSED, actor: p.user, subject: id,
          data: { dataset: id, fileSha256: report?.fileSha256 ?? null, problems: (report?.problems ?? []).map((x) => ({ column: x.column, issue: x.issue, count: x.count })) },
        });
      }
      throw err;
    }
  }
}
