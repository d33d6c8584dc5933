// The catalog as users see it (entries with their current version and row count), and the
// administrator's ways to put data into the raw store: sample generation and real imports.
import { CATALOG, generateSampleData, importDatasetFile, type DatasetSpec } from '../datasets/index.ts';
import { OpError } from '../errors/index.ts';
import { EVENTS } from '../lineage/index.ts';
import type { RecordedVersion } from '../domain/index.ts';
import type { DomainContext } from './context.ts';
import { checkRole, checkTenantScope, type Principal } from './principal.ts';
import { columnFacts, openLockedDown, readFileSchema } from '../sandbox/index.ts';
import { catalogEntryView, checkCatalogEntryExists, type CatalogEntryView } from './catalogView.ts';

export type { CatalogEntryView } from './catalogView.ts';

/** A table as the authorization's sandbox holds it: what a script may read and at which levels. */
export interface SchemaTable {
  readonly name: string;
  readonly title: string | null;
  readonly columns: readonly {
    name: string;
    type: string;
    grade: string | null;
    description: string | null;
    sandboxLevel: string | null;
    exportLevel: string | null;
  }[];
}

export class CatalogService {
  constructor(private readonly ctx: DomainContext) {}

  private view(spec: DatasetSpec): CatalogEntryView {
    return catalogEntryView(spec, this.ctx.versions.latest(spec.id));
  }

  /** The public catalog, and the caller's own datasets (an operator sees only its authorization's). */
  list(p?: Principal): CatalogEntryView[] {
    const own = p
      ? this.ctx.store.all<{ spec: string }>(
          "SELECT spec FROM imports WHERE state = 'loaded' AND (? IS NULL OR tenant = ?) ORDER BY dataset",
          p.role === 'operator' ? p.tenant : null,
          p.role === 'operator' ? p.tenant : null,
        )
      : [];
    return [...CATALOG, ...own.map((r) => JSON.parse(r.spec) as DatasetSpec)].map((d) => this.view(d));
  }

  /**
   * The tables and columns an authorization's scripts may read, from its own dev file (what its
   * build granted, with the usage levels it wrote) and the catalog (grades, descriptions): the
   * console's schema browser. Names and kinds only; no value is read.
   */
  async schemaOf(p: Principal, tenant: string): Promise<{ tenant: string; tables: SchemaTable[] }> {
    checkTenantScope(p, tenant);
    const a = this.ctx.authorizations.get(tenant);
    if (!a.build) return { tenant, tables: [] };
    // Read as a job's worker reads it (locked down, read-only), and described as DESCRIBE describes it.
    const instance = await openLockedDown(this.ctx.paths.tenantDb(tenant, 'dev'), { duckdbMemoryMb: 256, duckdbThreads: 1 });
    const con = await instance.connect();
    try {
      const schema = await readFileSchema(con);
      return {
        tenant,
        tables: [...schema].map(([name, cols]) => ({
          name,
          title: columnFacts(name, '').title,
          columns: cols.map((c) => {
            const { grade, description } = columnFacts(name, c.name);
            return { name: c.name, type: c.type, grade, description, sandboxLevel: c.sandbox, exportLevel: c.export };
          }),
        })),
      };
    } finally {
      con.closeSync();
      instance.closeSync();
    }
  }

  show(id: string): CatalogEntryView {
    return this.view(checkCatalogEntryExists(id));
  }

  /** Replaces the raw store with generated sample data (administrators; anyone on a home with no users yet). */
  async generate(
    p: Principal | null,
    opts: { scale: number; seed?: number; onProgress?: (s: string, d: number, t: number) => void },
  ): Promise<RecordedVersion[]> {
    if (p) checkRole(p, 'admin');
    else if (this.ctx.people.list().length > 0) throw new OpError('AUTH_REQUIRED', 'this domain has users: generate as an administrator (--as or a token)');
    const versions = await generateSampleData(this.ctx.paths.rawDb, {
      scale: opts.scale,
      ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    });
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
          kind: EVENTS.DATASET_IMPORT_REFUSED,
          actor: p.user,
          subject: id,
          data: {
            dataset: id,
            fileSha256: report?.fileSha256 ?? null,
            problems: (report?.problems ?? []).map((x) => ({ column: x.column, issue: x.issue, count: x.count })),
          },
        });
      }
      throw err;
    }
  }
}
