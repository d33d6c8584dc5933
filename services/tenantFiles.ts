// A worker node's own copies of the tenant files it reads (`opdomain node --files DIR`): the
// node copies an authorization's DuckDB file from the shared home the first time it runs one of
// its jobs, and again whenever the file there changed (a rebuild), and uses a copy only once its
// sha256 equals the source's. A copy that does not verify is removed and the job fails; nothing
// runs on a file that is not byte for byte the domain's.
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256File } from '../datasets/index.ts';
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

const readRecord = async (path: string): Promise<CopyRecord | undefined> => {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as CopyRecord;
  } catch {
    return undefined;
  }
};
const statOf = (path: string) => stat(path).catch(() => undefined);

export class TenantFileCopies {
  /** `copy`: how a file is copied (a test passes one that damages the copy). */
  constructor(
    private readonly dir: string,
    private readonly copy: (from: string, to: string) => Promise<void> = copyFile,
  ) {}

  /** Copies under way: jobs of one authorization that start together wait for the one copy. */
  private readonly inFlight = new Map<string, Promise<string>>();

  /** The local path of a verified copy of `source` for this authorization and environment. */
  localCopy(tenant: string, env: 'dev' | 'prod', source: string): Promise<string> {
    const key = `${tenant}/${env}`;
    const running = this.inFlight.get(key);
    if (running) return running;
    const copying = this.ensure(tenant, env, source).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, copying);
    return copying;
  }

  private async ensure(tenant: string, env: 'dev' | 'prod', source: string): Promise<string> {
    const local = join(this.dir, tenant, `${env}.duckdb`);
    const recordPath = `${local}.copy.json`;
    const st = await stat(source);
    const [record, mine] = await Promise.all([readRecord(recordPath), statOf(local)]);
    const fresh =
      record && mine && record.size === st.size && record.mtimeMs === st.mtimeMs && record.localSize === mine.size && record.localMtimeMs === mine.mtimeMs;
    if (fresh) return local;
    await mkdir(join(this.dir, tenant), { recursive: true });
    // A name of its own: another process sharing the folder never writes the same file.
    const tmp = `${local}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    await this.copy(source, tmp);
    const [expected, got] = await Promise.all([sha256File(source), sha256File(tmp)]);
    if (got !== expected) {
      await rm(tmp, { force: true });
      throw new OpError('NODE_COPY_MISMATCH', `the copy of ${tenant}'s ${env} file does not hash like the domain's`);
    }
    await rename(tmp, local);
    const copied = await stat(local);
    const next: CopyRecord = { size: st.size, mtimeMs: st.mtimeMs, sha256: got, localSize: copied.size, localMtimeMs: copied.mtimeMs };
    await writeFile(recordPath, JSON.stringify(next));
    return local;
  }
}
