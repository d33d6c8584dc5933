// Authorizations (授权运营协议) = tenants: scope (datasets, fields, scenarios), term (≤ 3 years,
// R15), limits, lifecycle, and the provisioning of their masked DuckDB files. Every state
// change commits together with its audit event.
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { OpError } from '../errors/index.ts';
import { EVENTS, type AuditLog } from '../lineage/index.ts';
import { buildTenantFiles, destroyTenantKey, ensureTenantKey, resolvePolicy, type Grant, type MaskOverrides } from '../masking/index.ts';
import type { JobLimits } from '../sandbox/index.ts';
import type { ControlStore, HomePaths } from '../store/index.ts';
import type { DatasetVersions } from './datasetVersions.ts';
import { DEFAULT_THRESHOLDS, checkThresholds, parseThresholds, strictest, type Thresholds } from '../exports/index.ts';
import { checkTenantTransition, type TenantAction, type TenantState } from './tenantStates.ts';

export const MAX_TERM_DAYS = 3 * 366;
const TENANT_ID = /^[a-z][a-z0-9-]{1,39}$/;
const SCENARIO_ID = /^[a-z][a-z0-9-]{1,63}$/;

export interface AuthorizationSpec {
  readonly id: string;
  readonly org: string;
  readonly scenarios: readonly string[];
  readonly grants: readonly Grant[];
  readonly overrides?: MaskOverrides;
  /** Last day of the term (ISO date or timestamp). */
  readonly termEnd: string;
  readonly limits?: Partial<JobLimits>;
  readonly devSamplePercent?: number;
  /** Export-check thresholds for this authorization (never weaker than the administrator's floor). */
  readonly thresholds?: Partial<Thresholds>;
}

export interface BuildInfo {
  readonly buildId: string;
  readonly policyHash: string;
  readonly datasets: readonly { dataset: string; version: number; contentHash: string }[];
  readonly rows: Readonly<Record<string, { prod: number; dev: number }>>;
  readonly at: string;
}

export interface Authorization extends Required<Omit<AuthorizationSpec, 'limits' | 'overrides' | 'thresholds'>> {
  readonly state: TenantState;
  readonly thresholds: Partial<Thresholds>;
  readonly overrides: MaskOverrides;
  readonly limits: Partial<JobLimits>;
  readonly build: BuildInfo | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

interface TenantRow {
  id: string;
  org: string;
  state: TenantState;
  scenarios: string;
  grants: string;
  term_end: string;
  limits: string;
  build: string | null;
  created_at: string;
  updated_at: string;
}

function fromRow(r: TenantRow): Authorization {
  const g = JSON.parse(r.grants) as { grants: Grant[]; overrides: MaskOverrides };
  const l = JSON.parse(r.limits) as { limits: Partial<JobLimits>; devSamplePercent: number; thresholds?: Partial<Thresholds> };
  return {
    id: r.id, org: r.org, state: r.state, scenarios: JSON.parse(r.scenarios), grants: g.grants, overrides: g.overrides,
    termEnd: r.term_end, limits: l.limits, devSamplePercent: l.devSamplePercent, thresholds: l.thresholds ?? {},
    build: r.build ? (JSON.parse(r.build) as BuildInfo) : null, createdAt: r.created_at, updatedAt: r.updated_at,
  };
}

function fileSha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

export class Authorizations {
  constructor(
    private readonly store: ControlStore,
    private readonly audit: AuditLog,
    private readonly paths: HomePaths,
    private readonly versions: DatasetVersions,
  ) {}

  /** Validates and records a new authorization in state `pending` (no data yet). */
  create(spec: AuthorizationSpec, actor: string, now = new Date()): Authorization {
    if (!TENANT_ID.test(spec.id)) throw new OpError('BAD_REQUEST', 'authorization ids are 2–40 lower-case letters, digits and -');
    if (typeof spec.org !== 'string' || spec.org.trim() === '' || spec.org.length > 200) throw new OpError('BAD_REQUEST', 'org (the operator organisation) is required');
    if (!Array.isArray(spec.scenarios) || spec.scenarios.length === 0 || spec.scenarios.some((s) => !SCENARIO_ID.test(s))) {
      throw new OpError('BAD_REQUEST', 'at least one scenario id (lower-case letters, digits, -) is required');
    }
    const end = new Date(spec.termEnd);
    if (Number.isNaN(end.getTime())) throw new OpError('BAD_REQUEST', 'termEnd must be a date');
    if (end <= now) throw new OpError('BAD_REQUEST', 'termEnd must be in the future');
    if ((end.getTime() - now.getTime()) / 86_400_000 > MAX_TERM_DAYS) throw new OpError('BAD_REQUEST', 'an authorization term is at most three years (R15)');
    const devSamplePercent = spec.devSamplePercent ?? 10;
    if (!(devSamplePercent >= 1 && devSamplePercent <= 100)) throw new OpError('BAD_REQUEST', 'devSamplePercent must be from 1 to 100');
    // Validates grants (R8: core and prohibited data refused) and masking overrides now, not at build time.
    const policy = resolvePolicy(spec.grants, spec.overrides ?? {});
    const thresholds = parseThresholds(spec.thresholds);
    checkThresholds(thresholds, this.thresholdFloor());
    return this.store.tx(() => {
      if (this.find(spec.id)) throw new OpError('TENANT_EXISTS', `authorization "${spec.id}" already exists`);
      const at = now.toISOString();
      this.store.run(
        'INSERT INTO tenants (id, org, state, scenarios, grants, term_end, limits, build, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)',
        spec.id, spec.org, 'pending', JSON.stringify(spec.scenarios), JSON.stringify({ grants: spec.grants, overrides: spec.overrides ?? {} }),
        end.toISOString(), JSON.stringify({ limits: spec.limits ?? {}, devSamplePercent, thresholds }), at, at,
      );
      this.audit.append({ kind: EVENTS.TENANT_CREATED, actor, tenant: spec.id, subject: spec.id, data: { org: spec.org, scenarios: spec.scenarios, grants: spec.grants, policyHash: policy.hash, termEnd: end.toISOString() } });
      return this.get(spec.id);
    });
  }

  /** The domain's floor for export thresholds (the defaults until an administrator sets one). */
  thresholdFloor(): Thresholds {
    const v = this.store.getMeta('thresholds.floor');
    return v ? strictest(DEFAULT_THRESHOLDS, JSON.parse(v) as Partial<Thresholds>) : DEFAULT_THRESHOLDS;
  }

  /** Raises (never lowers below the defaults) the floor; every check applies the stricter of floor and authorization. */
  setThresholdFloor(input: unknown, actor: string): Thresholds {
    const t = parseThresholds(input);
    checkThresholds(t, DEFAULT_THRESHOLDS);
    return this.store.tx(() => {
      const floor = strictest(DEFAULT_THRESHOLDS, t);
      this.store.setMeta('thresholds.floor', JSON.stringify(floor));
      this.audit.append({ kind: EVENTS.THRESHOLDS_CHANGED, actor, tenant: null, subject: 'floor', data: { floor } });
      return floor;
    });
  }

  /** Sets an authorization's own thresholds (refused below the floor). */
  setThresholds(id: string, input: unknown, actor: string): Authorization {
    const t = parseThresholds(input);
    checkThresholds(t, this.thresholdFloor());
    return this.store.tx(() => {
      const cur = this.get(id);
      const l = JSON.parse(this.store.get<{ limits: string }>('SELECT limits FROM tenants WHERE id = ?', id)!.limits) as Record<string, unknown>;
      this.store.run('UPDATE tenants SET limits = ?, updated_at = ? WHERE id = ?', JSON.stringify({ ...l, thresholds: t }), new Date().toISOString(), id);
      this.audit.append({ kind: EVENTS.THRESHOLDS_CHANGED, actor, tenant: id, subject: id, data: { from: cur.thresholds, to: t } });
      return this.get(id);
    });
  }

  /** The thresholds the export check applies to this authorization. */
  effectiveThresholds(id: string): Thresholds {
    return strictest(this.thresholdFloor(), this.get(id).thresholds);
  }

  find(id: string): Authorization | undefined {
    const r = this.store.get<TenantRow>('SELECT * FROM tenants WHERE id = ?', id);
    return r ? fromRow(r) : undefined;
  }

  get(id: string): Authorization {
    const a = this.find(id);
    if (!a) throw new OpError('TENANT_NOT_FOUND', `no authorization "${id}"`);
    return a;
  }

  list(): Authorization[] {
    return this.store.all<TenantRow>('SELECT * FROM tenants ORDER BY id').map(fromRow);
  }

  /** Builds the masked prod and dev files from the current raw store, then activates a pending authorization. */
  async provision(id: string, actor: string): Promise<Authorization> {
    const a = this.get(id);
    if (a.state !== 'pending' && a.state !== 'active') throw new OpError('TENANT_NOT_ACTIVE', `authorization "${id}" is ${a.state}`);
    if (!existsSync(this.paths.rawDb)) throw new OpError('SAMPLE_DATA_MISSING');
    const policy = resolvePolicy(a.grants, a.overrides);
    const key = ensureTenantKey(this.paths.tenantKey(id));
    const result = await buildTenantFiles({
      rawPath: this.paths.rawDb,
      prodPath: this.paths.tenantDb(id, 'prod'),
      devPath: this.paths.tenantDb(id, 'dev'),
      policy,
      tenantKeyHex: key,
      devSamplePercent: a.devSamplePercent,
    });
    const datasets = a.grants.map((g) => {
      const v = this.versions.latest(g.dataset);
      return { dataset: g.dataset, version: v?.version ?? 0, contentHash: v?.contentHash ?? '' };
    });
    const build: BuildInfo = { buildId: `${id}-${randomUUID().slice(0, 8)}`, policyHash: result.policyHash, datasets, rows: result.rows, at: new Date().toISOString() };
    return this.store.tx(() => {
      const cur = this.get(id);
      const state = cur.state === 'pending' ? checkTenantTransition('pending', 'activate') : cur.state;
      this.store.run('UPDATE tenants SET build = ?, state = ?, updated_at = ? WHERE id = ?', JSON.stringify(build), state, build.at, id);
      this.audit.append({ kind: EVENTS.TENANT_BUILT, actor, tenant: id, subject: id, data: { ...build } });
      if (cur.state !== state) this.audit.append({ kind: EVENTS.TENANT_STATE_CHANGED, actor, tenant: id, subject: id, data: { from: cur.state, to: state, action: 'activate' } });
      return this.get(id);
    });
  }

  /** Applies a lifecycle action from the transition table; destroy deletes files and keys. */
  transition(id: string, action: TenantAction, actor: string, reason?: string): Authorization {
    return this.store.tx(() => {
      const cur = this.get(id);
      const to = checkTenantTransition(cur.state, action);
      let destruction: Record<string, unknown> | undefined;
      if (action === 'destroy') destruction = this.destroyFiles(id);
      this.store.run('UPDATE tenants SET state = ?, updated_at = ? WHERE id = ?', to, new Date().toISOString(), id);
      this.audit.append({ kind: EVENTS.TENANT_STATE_CHANGED, actor, tenant: id, subject: id, data: { from: cur.state, to, action, ...(reason ? { reason } : {}), ...(destruction ? { destruction } : {}) } });
      return this.get(id);
    });
  }

  /** R15: the term is enforced on every call — an active authorization past its end becomes expired. */
  checkOperable(id: string, now = new Date()): Authorization {
    let a = this.get(id);
    if (a.state === 'active' && new Date(a.termEnd) < now) a = this.transition(id, 'expire', 'system', 'term ended');
    if (a.state !== 'active') throw new OpError('TENANT_NOT_ACTIVE', `authorization "${id}" is ${a.state}; operator calls are refused`);
    if (!a.build) throw new OpError('TENANT_NOT_ACTIVE', `authorization "${id}" has no data yet`);
    return a;
  }

  private destroyFiles(id: string): Record<string, unknown> {
    const dir = this.paths.tenantDir(id);
    const files: { path: string; sha256: string; bytes: number }[] = [];
    const walk = (d: string) => {
      if (!existsSync(d)) return;
      for (const name of readdirSync(d)) {
        const p = join(d, name);
        const st = statSync(p);
        if (st.isDirectory()) walk(p);
        else files.push({ path: p.slice(this.paths.root.length + 1), sha256: fileSha256(p), bytes: st.size });
      }
    };
    walk(dir);
    rmSync(dir, { recursive: true, force: true });
    destroyTenantKey(this.paths.tenantKey(id));
    return { files, keyDestroyed: true, at: new Date().toISOString() };
  }
}
