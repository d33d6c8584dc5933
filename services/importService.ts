// Operators' own data (R13): an import request declares a dataset, its file is checked and
// profiled before anyone decides, reviewers approve N-of-M (never the requester), and the
// approving step loads it — masked by the same policy language, identifiers tokenized with the
// authorization's key — into the authorization's own raw store and its prod and dev files. A
// load that fails (a leak check, a build) leaves nothing: the table and the grant are taken back.
import { randomUUID } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, extname } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import {
  describeProblems,
  importDatasetFile,
  inspectOwnFile,
  MAX_IMPORT_BYTES,
  ownDatasetSpec,
  parseDeclaration,
  addOwnDatasetResolver,
  type DatasetSpec,
  type FileProfile,
  type ImportReport,
  type OwnDeclaration,
} from '../datasets/index.ts';
import { IMPORTS, type ImportAction, type ImportState } from '../domain/index.ts';
import { OpError } from '../errors/index.ts';
import { EVENTS } from '../lineage/index.ts';
import type { DomainContext } from './context.ts';
import { checkRole, checkTenantScope, type Principal } from './principal.ts';
import { checkVoter, voteAction, type Decision } from './votes.ts';

interface ImportRow {
  id: string;
  tenant: string;
  dataset: string;
  declaration: string;
  spec: string;
  scenario: string;
  justification: string;
  state: ImportState;
  filed_by: string;
  file_sha256: string | null;
  file_ext: string | null;
  profile: string | null;
  error: string | null;
  loaded: string | null;
  created_at: string;
  updated_at: string;
}

export interface ImportView {
  readonly id: string;
  readonly tenant: string;
  readonly dataset: string;
  readonly declaration: OwnDeclaration;
  readonly scenario: string;
  readonly justification: string;
  readonly state: ImportState;
  readonly filedBy: string;
  readonly fileSha256: string | null;
  readonly profile: FileProfile | null;
  readonly error: { code: string; message: string; details?: unknown } | null;
  readonly loaded: { rows: number; version: number; contentHash: string; buildId: string } | null;
  readonly votes: readonly { voter: string; decision: string; comment: string | null; at: string }[];
  readonly approvalsRequired: number;
  /** What the caller may do next (from the state table). */
  readonly actions: readonly ImportAction[];
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** Own datasets a lookup may see: loaded ones, and the one being loaded (its build needs it). */
const VISIBLE: readonly ImportState[] = ['loading', 'loaded'];

export class ImportService {
  /** Removes this home's look-up of own datasets (the domain closes). */
  readonly close: () => void;

  constructor(private readonly ctx: DomainContext) {
    this.close = addOwnDatasetResolver((id) => {
      const r = ctx.store.get<{ spec: string; tenant: string }>(
        `SELECT spec, tenant FROM imports WHERE dataset = ? AND state IN (${VISIBLE.map(() => '?').join(', ')}) ORDER BY updated_at DESC LIMIT 1`,
        id,
        ...VISIBLE,
      );
      if (!r) return undefined;
      const tenant = ctx.store.get<{ state: string }>('SELECT state FROM tenants WHERE id = ?', r.tenant);
      return tenant && tenant.state !== 'destroyed' ? (JSON.parse(r.spec) as DatasetSpec) : undefined;
    });
  }

  private row(id: unknown): ImportRow {
    const r = typeof id === 'string' ? this.ctx.store.get<ImportRow>('SELECT * FROM imports WHERE id = ?', id) : undefined;
    if (!r) throw new OpError('IMPORT_NOT_FOUND', `no import request "${String(id).slice(0, 64)}"`);
    return r;
  }

  private required(spec: DatasetSpec): number {
    return spec.grade === 'important' ? 2 : 1;
  }

  /** Votes of many requests in one query. */
  private votesOf(ids: readonly string[]): Map<string, ImportView['votes'][number][]> {
    const out = new Map<string, ImportView['votes'][number][]>(ids.map((id) => [id, []]));
    if (ids.length === 0) return out;
    const rows = this.ctx.store.all<{ import_id: string; voter: string; decision: string; comment: string | null; at: string }>(
      `SELECT import_id, voter, decision, comment, at FROM import_votes WHERE import_id IN (${ids.map(() => '?').join(', ')}) ORDER BY at`,
      ...ids,
    );
    for (const { import_id, ...v } of rows) out.get(import_id)!.push(v);
    return out;
  }

  private view(r: ImportRow, p: Principal, votes = this.votesOf([r.id]).get(r.id)!): ImportView {
    const spec = JSON.parse(r.spec) as DatasetSpec;
    return {
      id: r.id,
      tenant: r.tenant,
      dataset: r.dataset,
      declaration: JSON.parse(r.declaration),
      scenario: r.scenario,
      justification: r.justification,
      state: r.state,
      filedBy: r.filed_by,
      fileSha256: r.file_sha256,
      profile: r.profile ? JSON.parse(r.profile) : null,
      error: r.error ? JSON.parse(r.error) : null,
      loaded: r.loaded ? JSON.parse(r.loaded) : null,
      votes,
      approvalsRequired: this.required(spec),
      actions: IMPORTS.actions(r.state, p, r.filed_by).filter((a) => a !== 'finish' && a !== 'fail'),
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    };
  }

  private move(
    r: ImportRow,
    p: Principal,
    action: ImportAction,
    set: Partial<Record<'profile' | 'error' | 'loaded' | 'file_sha256' | 'file_ext', string | null>> = {},
    data: Record<string, unknown> = {},
  ): ImportRow {
    const to = IMPORTS.check(r.state, action, p, r.filed_by);
    const cols = Object.keys(set);
    this.ctx.store.tx(() => {
      this.ctx.store.run(
        `UPDATE imports SET state = ?, updated_at = ?${cols.map((c) => `, ${c} = ?`).join('')} WHERE id = ?`,
        to,
        new Date().toISOString(),
        ...cols.map((c) => set[c as keyof typeof set] ?? null),
        r.id,
      );
      this.ctx.audit.append({
        kind: EVENTS.IMPORT_STATE_CHANGED,
        actor: p.user,
        tenant: r.tenant,
        subject: r.id,
        data: { from: r.state, to, action, dataset: r.dataset, ...data },
      });
    });
    return this.row(r.id);
  }

  /** An operator declares a dataset of its own for its authorization: nothing is loaded yet. */
  request(p: Principal, body: { tenant?: unknown; declaration?: unknown; scenario?: unknown; justification?: unknown } & Record<string, unknown>): ImportView {
    checkRole(p, 'operator');
    // The declaration may come nested ({declaration: {…}}) or as the body itself.
    const input = body.declaration === undefined && body.fields !== undefined ? { ...body, declaration: body } : body;
    const tenant = String(input.tenant ?? p.tenant ?? '');
    checkTenantScope(p, tenant);
    const auth = this.ctx.authorizations.get(tenant);
    if (auth.state !== 'active' && auth.state !== 'pending') throw new OpError('TENANT_NOT_ACTIVE', `authorization "${tenant}" is ${auth.state}`);
    const declaration = parseDeclaration(input.declaration);
    const scenario = String(input.scenario ?? auth.scenarios[0] ?? '');
    if (!auth.scenarios.includes(scenario)) throw new OpError('BAD_REQUEST', `scenario "${scenario.slice(0, 64)}" is not a scenario of ${tenant}`);
    if (typeof input.justification !== 'string' || input.justification.trim() === '' || input.justification.length > 2000)
      throw new OpError('BAD_REQUEST', 'justification must say, in at most 2000 characters, why the data is needed');
    const spec = ownDatasetSpec(tenant, declaration);
    const open = this.ctx.store.get<{ id: string }>("SELECT id FROM imports WHERE dataset = ? AND state <> 'withdrawn'", spec.id);
    if (open) throw new OpError('IMPORT_EXISTS', `${tenant} already has an own dataset "${declaration.name}" (request ${open.id})`);
    const id = `imp_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
    const now = new Date().toISOString();
    this.ctx.store.tx(() => {
      this.ctx.store.run(
        'INSERT INTO imports (id, tenant, dataset, declaration, spec, scenario, justification, state, filed_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        id,
        tenant,
        spec.id,
        JSON.stringify(declaration),
        JSON.stringify(spec),
        scenario,
        input.justification,
        'draft',
        p.user,
        now,
        now,
      );
      this.ctx.audit.append({
        kind: EVENTS.IMPORT_REQUESTED,
        actor: p.user,
        tenant,
        subject: id,
        data: {
          dataset: spec.id,
          fields: declaration.fields.map((f) => f.name),
          lawfulBasis: declaration.lawfulBasis,
          consentRef: declaration.consentRef ?? null,
          scenario,
        },
      });
    });
    return this.view(this.row(id), p);
  }

  /**
   * The requester's file (CSV or Parquet, already on this machine: the HTTP door streams it to
   * disk first). It is checked against the declaration and profiled; a bad file or a column
   * declared non-identifying that holds identifiers refuses it, with the report, and keeps nothing.
   */
  async upload(p: Principal, id: unknown, file: string, format?: string): Promise<ImportView> {
    const r = this.row(id);
    checkTenantScope(p, r.tenant);
    IMPORTS.check(r.state, 'upload', p, r.filed_by);
    const ext = (format ?? extname(file).slice(1)).toLowerCase();
    if (ext !== 'csv' && ext !== 'parquet') throw new OpError('IMPORT_INVALID', 'only CSV and Parquet files can be imported');
    if (!existsSync(file) || !statSync(file).isFile()) throw new OpError('IMPORT_INVALID', `no such file: ${basename(file)}`);
    if (statSync(file).size > MAX_IMPORT_BYTES) throw new OpError('IMPORT_INVALID', 'the file is too large');
    const staged = this.ctx.paths.ownStaging(r.tenant, r.id, ext);
    mkdirSync(dirname(staged), { recursive: true });
    if (staged !== file) copyFileSync(file, staged);
    const spec = JSON.parse(r.spec) as DatasetSpec;
    const refuse = (err: OpError, data: Record<string, unknown>): never => {
      rmSync(staged, { force: true });
      this.ctx.audit.append({ kind: EVENTS.IMPORT_UPLOADED, actor: p.user, tenant: r.tenant, subject: r.id, data: { refused: err.code, ...data } });
      throw err;
    };
    let inspected: { report: ImportReport; profile: FileProfile | null };
    try {
      inspected = await inspectOwnFile(spec, staged, `the uploaded ${ext} file`);
    } catch (err) {
      return refuse(err instanceof OpError ? err : new OpError('IMPORT_INVALID', String((err as Error).message).slice(0, 300)), {});
    }
    const { report, profile } = inspected;
    const summary = { fileSha256: report.fileSha256, rows: report.rows };
    if (report.problems.length > 0) {
      refuse(
        new OpError('IMPORT_INVALID', `the file does not fit the declaration: ${describeProblems(report.problems)}`, {
          report: { ...report, file: undefined },
        }),
        { ...summary, problems: report.problems.map((x) => ({ column: x.column, issue: x.issue, count: x.count })) },
      );
    }
    const flagged = profile!.columns.filter((c) => c.flagged);
    if (flagged.length > 0) {
      refuse(new OpError('IMPORT_SUSPECT_IDENTIFIER', `the import is refused: ${flagged.map((c) => `${c.column} is ${c.flagged}`).join('; ')}`, { profile }), {
        ...summary,
        flagged: flagged.map((c) => c.column),
      });
    }
    this.ctx.store.run('DELETE FROM import_votes WHERE import_id = ?', r.id);
    const next = this.move(r, p, 'upload', { profile: JSON.stringify(profile), file_sha256: report.fileSha256, file_ext: ext, error: null }, summary);
    return this.view(next, p);
  }

  async vote(p: Principal, id: unknown, decision: unknown, comment?: unknown): Promise<ImportView> {
    const r = this.row(id);
    checkVoter(p, r.filed_by, 'IMPORT_SELF_APPROVAL', decision, comment, ['approve', 'return']);
    const approvals = this.ctx.store.get<{ n: number }>("SELECT count(*) AS n FROM import_votes WHERE import_id = ? AND decision = 'approve'", r.id)!.n;
    const action = voteAction(decision as Decision, approvals, this.required(JSON.parse(r.spec) as DatasetSpec));
    if (action === 'reject') throw new OpError('BAD_REQUEST', 'an import request is approved or returned');
    IMPORTS.check(r.state, action, p, r.filed_by);
    if (this.ctx.store.get('SELECT 1 AS x FROM import_votes WHERE import_id = ? AND voter = ?', r.id, p.user))
      throw new OpError('IMPORT_TRANSITION', 'you have already voted on this import request');
    this.ctx.store.tx(() => {
      this.ctx.store.run(
        'INSERT INTO import_votes (import_id, voter, decision, comment, at) VALUES (?, ?, ?, ?, ?)',
        r.id,
        p.user,
        decision,
        typeof comment === 'string' ? comment : null,
        new Date().toISOString(),
      );
      this.ctx.audit.append({ kind: EVENTS.IMPORT_VOTE, actor: p.user, tenant: r.tenant, subject: r.id, data: { decision } });
    });
    const moved = this.move(this.row(r.id), p, action);
    if (action === 'approve') return this.view(await this.load(moved, p), p);
    return this.view(moved, p);
  }

  /** The approving step: raw into the own store, the grant added, the files rebuilt — or nothing. */
  private async load(r: ImportRow, p: Principal): Promise<ImportRow> {
    const spec = JSON.parse(r.spec) as DatasetSpec;
    const staged = this.ctx.paths.ownStaging(r.tenant, r.id, r.file_ext ?? 'csv');
    try {
      const loaded = await installOwnDataset(this.ctx, p.user, {
        tenant: r.tenant,
        spec,
        file: staged,
        scenario: r.scenario,
        ref: `import ${r.id}`,
        expectSha: r.file_sha256,
      });
      return this.move(r, p, 'finish', { loaded: JSON.stringify(loaded) }, loaded);
    } catch (err) {
      const e = err instanceof OpError ? err : new OpError('INTERNAL', String((err as Error).message).slice(0, 300));
      return this.move(
        r,
        p,
        'fail',
        { error: JSON.stringify({ code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) }) },
        { code: e.code },
      );
    }
  }

  /**
   * A dataset the domain made for an authorization (a private set intersection's result): kept in
   * the same register as imports, so lookup, the catalog, lineage and destruction treat it alike,
   * but decided by no reviewer — nothing came from outside but group elements.
   */
  async installDerived(
    p: Principal,
    input: { tenant: string; spec: DatasetSpec; file: string; scenario: string; source: string },
  ): Promise<{ rows: number; version: number; contentHash: string; buildId: string }> {
    const id = `imp_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
    const now = new Date().toISOString();
    const declaration = {
      name: input.spec.id,
      title: input.spec.title.en,
      fields: input.spec.fields.map((f) => ({ name: f.name, type: f.type, category: f.category, grade: f.grade, role: f.role })),
      lawfulBasis: 'public_interest',
      source: input.source,
    };
    this.ctx.store.tx(() => {
      this.ctx.store.run("DELETE FROM imports WHERE dataset = ? AND state IN ('loaded', 'failed', 'loading')", input.spec.id);
      this.ctx.store.run(
        'INSERT INTO imports (id, tenant, dataset, declaration, spec, scenario, justification, state, filed_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        id,
        input.tenant,
        input.spec.id,
        JSON.stringify(declaration),
        JSON.stringify(input.spec),
        input.scenario,
        input.source,
        'loading',
        p.user,
        now,
        now,
      );
    });
    const set = (state: ImportState, col: 'loaded' | 'error', value: unknown) =>
      this.ctx.store.run(`UPDATE imports SET state = ?, ${col} = ?, updated_at = ? WHERE id = ?`, state, JSON.stringify(value), new Date().toISOString(), id);
    try {
      const loaded = await installOwnDataset(this.ctx, p.user, {
        tenant: input.tenant,
        spec: input.spec,
        file: input.file,
        scenario: input.scenario,
        ref: input.source,
      });
      set('loaded', 'loaded', loaded);
      return loaded;
    } catch (err) {
      const e = err instanceof OpError ? err : new OpError('INTERNAL', String((err as Error).message).slice(0, 300));
      set('failed', 'error', { code: e.code, message: e.message });
      throw e;
    }
  }

  withdraw(p: Principal, id: unknown): ImportView {
    const r = this.row(id);
    checkTenantScope(p, r.tenant);
    const moved = this.move(r, p, 'withdraw');
    rmSync(this.ctx.paths.ownStaging(r.tenant, r.id, r.file_ext ?? 'csv'), { force: true });
    return this.view(moved, p);
  }

  show(p: Principal, id: unknown): ImportView {
    const r = this.row(id);
    checkTenantScope(p, r.tenant);
    return this.view(r, p);
  }

  list(p: Principal, filter: { tenant?: string | undefined; state?: string | undefined } = {}): ImportView[] {
    const tenant = p.role === 'operator' ? p.tenant : filter.tenant;
    const rows = this.ctx.store.all<ImportRow>(
      `SELECT * FROM imports WHERE (? IS NULL OR tenant = ?) AND (? IS NULL OR state = ?) ORDER BY created_at DESC LIMIT 500`,
      tenant ?? null,
      tenant ?? null,
      filter.state ?? null,
      filter.state ?? null,
    );
    const votes = this.votesOf(rows.map((r) => r.id));
    return rows.map((r) => this.view(r, p, votes.get(r.id)));
  }
}

/**
 * Raw into the authorization's own store, a dataset version recorded, the grant added, the files
 * rebuilt (masking and the leak check included). On any failure the table and the grant are
 * taken back before the error is thrown: nothing half-loaded.
 */
export async function installOwnDataset(
  ctx: DomainContext,
  actor: string,
  input: { tenant: string; spec: DatasetSpec; file: string; scenario: string; ref: string; expectSha?: string | null },
): Promise<{ rows: number; version: number; contentHash: string; buildId: string }> {
  const { tenant, spec } = input;
  const ownRaw = ctx.paths.ownRaw(tenant);
  let granted = false;
  try {
    const { report, version } = await importDatasetFile(ownRaw, spec, input.file);
    if (input.expectSha && report.fileSha256 !== input.expectSha) throw new OpError('IMPORT_INVALID', 'the staged file changed since it was checked');
    const [recorded] = ctx.versions.record([version], actor, { kind: 'own_import', ref: input.ref, tenant, fileSha256: report.fileSha256, rows: report.rows });
    if (!ctx.authorizations.get(tenant).grants.some((g) => g.dataset === spec.id)) {
      ctx.authorizations.addGrants(tenant, [{ dataset: spec.id }], { [`${spec.id}.*`]: [input.scenario] }, actor, input.ref);
      granted = true;
    }
    const auth = await ctx.authorizations.provision(tenant, actor);
    rmSync(input.file, { force: true });
    return { rows: report.rows, version: recorded!.version, contentHash: version.contentHash, buildId: auth.build?.buildId ?? '' };
  } catch (err) {
    if (granted) ctx.authorizations.removeDataset(tenant, spec.id, actor, `${input.ref} failed`);
    await dropOwnTable(ownRaw, spec.id);
    throw err;
  }
}

async function dropOwnTable(path: string, table: string): Promise<void> {
  if (!existsSync(path)) return;
  const db = await DuckDBInstance.create(path);
  const con = await db.connect();
  try {
    await con.run(`DROP TABLE IF EXISTS "${table.replaceAll('"', '""')}"`);
  } finally {
    con.closeSync();
    db.closeSync();
  }
}
