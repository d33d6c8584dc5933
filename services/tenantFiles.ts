// A worker node's own copies of the tenant files it reads (`opdomain node --files DIR`): the
// node copies an authorization's DuckDB file from the shared home the first time it runs one of
// its jobs, and again whenever the file there changed (a rebuild), and uses a copy only once its
// sha256 equals the source's. A copy that does not verify is removed and the job fails; nothing
// runs on a file that is not byte for byte the domain's.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OpError } from '../errors/index.ts';

interface CopyRecord {
  /** The source as it was copied. */
  readonly size: number;
  readonly mtimeMs: number;
  readonly sha256: string;
  /** The copy as it was verified: a copy changed since is copied again. */
  readonly localSize: number;
  readonly localMtimeMs: number;
}

const sha256File = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

export class TenantFileCopies {
  constructor(private readonly dir: string) {}

  /** The local path of a verified copy of `source` for this authorization and environment. */
  localCopy(tenant: string, env: 'dev' | 'prod', source: string): string {
    const local = join(this.dir, tenant, `${env}.duckdb`);
    const recordPath = `${local}.copy.json`;
    const st = statSync(source);
    if (existsSync(local) && existsSync(recordPath)) {
      const record = JSON.parse(readFileSync(recordPath, 'utf8')) as CopyRecord;
      const mine = statSync(local);
      const same = record.size === st.size && record.mtimeMs === st.mtimeMs && record.localSize === mine.size && record.localMtimeMs === mine.mtimeMs;
      if (same) return local;
    }
    mkdirSync(join(this.dir, tenant), { recursive: true });
    const tmp = `${local}.tmp`;
    const expected = sha256File(source);
    copyFileSync(source, tmp);
    const got = sha256File(tmp);
    if (got !== expected) {
      rmSync(tmp, { force: true });
      throw new OpError('NODE_COPY_MISMATCH', `the copy of ${tenant}'s ${env} file does not hash like the domain's`);
    }
    renameSync(tmp, local);
    const mine = statSync(local);
    const record: CopyRecord = { size: st.size, mtimeMs: st.mtimeMs, sha256: got, localSize: mine.size, localMtimeMs: mine.mtimeMs };
    writeFileSync(recordPath, JSON.stringify(record));
    return local;
  }

  /** What the node holds of an authorization: the sha256 of each copy. */
  hashes(tenant: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const env of ['dev', 'prod'] as const) {
      const recordPath = join(this.dir, tenant, `${env}.duckdb.copy.json`);
      if (existsSync(recordPath)) out[env] = (JSON.parse(readFileSync(recordPath, 'utf8')) as CopyRecord).sha256;
    }
    return out;
  }
}
