// Authorizations (授权运营协议) = tenants: scope (datasets, fields, scenarios), term (≤ 3 years,
// R15), limits, lifecycle, and the provisioning of their masked DuckDB files. Every state
// change commits together with its audit event.
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { OpError } from '../errors/index.ts';
import { EVENTS, type AuditLog } from '../lineage/index.ts';
import { buildTenantFiles, destroyTenantKey, ensureTenantKey, resolvePolicy, type Grant, type MaskOverrides, type UsageOverrides } from '../masking/index.ts';
import type { JobLimits } from '../sandbox/index.ts';
import type { HomePaths, Store } from '../store/index.ts';
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
  /** Column usage levels, only ever tighter than the catalog's (keyed "dataset.field"). */
  readonly usage?: UsageOverrides;
  /** Last day of the term (ISO date or timestamp). */
  readonly termEnd: string;
  readonly limits?: Partial<JobLimits>;
  readonly devSamplePercent?: number;
  /** Export-check thresholds for this authorization (never weaker than the administrator's floor). */
  readonly thresholds?: Partial<Thresholds>;
  /**
   * Minimum necessary: every granted field is justified by scenarios of this authorization,
   * keyed "dataset.field" (or "dataset.*" for every granted field of a dataset).
   */
  readonly justification: Readonly<Record<string, readonly string[]>>;
  /** 一授权一预案: the emergency plan; an authorization without one cannot be activated. */
  readonly emergencyPlan?: EmergencyPlan | null;
}

export interface EmergencyPlan {
  /** What is done on a breach or an incident: stop, seal, notify, recover. */
  readonly summary: string;
  /** Who is called (the operator's responsible person and a 24-hour contact). */
  readonly contact: string;
  /** Date the plan was approved (ISO). */
  readonly approvedAt: string;
}

export interface BuildInfo {
  readonly buildId: string;
  readonly policyHash: string;
  readonly datasets: readonly { dataset: string; version: number; contentHash: string }[];
  readonly rows: Readonly<Record<string, { prod: number; dev: number }>>;
  readonly at: string;
}

export interface Authorization extends Required<Omit<AuthorizationSpec, 'limits' | 'overrides' | 'usage' | 'thresholds' | 'emergencyPlan'>> {
  readonly state: TenantState;
  readonly emergencyPlan: EmergencyPlan | null;
  readonly thresholds: Partial<Thresholds>;
  readonly overrides: MaskOverrides;
  readonly usage: UsageOverrides;
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
  justification: string | null;
  emergency_plan: string | null;
}

function fromRow(r: TenantRow): Authorization {
  const g = JSON.parse(r.grants) as { grants: Grant[]; overrides: MaskOverrides; usage?: UsageOverrides };
  const l = JSON.parse(r.limits) as { limits: Partial<JobLimits>; devSamplePercent: number; thresholds?: Partial<Thresholds> };
  return {
    id: r.id,
    org: r.org,
    state: r.state,
    scenarios: JSON.parse(r.scenarios),
    grants: g.grants,
    overrides: g.overrides,
    usage: g.usage ?? {},
    termEnd: r.term_end,
    limits: l.limits,
    devSamplePercent: l.devSamplePercent,
    thresholds: l.thresholds ?? {},
    build: r.build ? (JSON.parse(r.build) as BuildInfo) : null,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    justification: r.justification ? JSON.parse(r.justification) : {},
    emergencyPlan: r.emergency_plan ? (JSON.parse(r.emergency_plan) as EmergencyPlan) : null,
  };
}

function fileSha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** States in which nothing of the tenant may run. */
const STOPPED: readonly TenantState[] = ['suspended', 'terminated', 'expired', 'sealed', 'destroyed'];

export class Authorizations {
  /** Called after an authorization leaves `active` (the core stops its running jobs). */
  onStopped: ((id: string, actor: string, reason: string) => void) | undefined;

  constructor(
    private readonly store: Store,
    private readonly audit: AuditLog,
    private readonly paths: HomePaths,
    private readonly versions: DatasetVersions,
  ) {}

  /** Validates and records a new authorization in state `pending` (no data yet). */
  create(spec: AuthorizationSpec, actor: string, now = new Date()): Authorization {
    if (!TENANT_ID.test(spec.id)) throw new OpError('BAD_REQUEST', 'authorization ids are 2–40 lower-case letters, digits and -');
    if (typeof spec.org !== 'string' || spec.org.trim() === '' || spec.org.length > 200)
      throw new OpError('BAD_REQUEST', 'org (the operator organisation) is required');
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
    const policy = resolvePolicy(spec.grants, spec.overrides ?? {}, spec.usage ?? {});
    const thresholds = parseThresholds(spec.thresholds);
    checkThresholds(thresholds, this.thresholdFloor());
    checkJustification(spec, policy);
    const plan = spec.emergencyPlan ? parseEmergencyPlan(spec.emergencyPlan) : null;
    return this.store.tx(() => {
      if (this.find(spec.id)) throw new OpError('TENANT_EXISTS', `authorization "${spec.id}" already exists`);
      const at = now.toISOString();
      this.store.run(
        'INSERT INTO tenants (id, org, state, scenarios, grants, term_end, limits, build, created_at, updated_at, justification, emergency_plan) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?)',
        spec.id,
        spec.org,
        'pending',
        JSON.stringify(spec.scenarios),
        JSON.stringify({ grants: spec.grants, overrides: spec.overrides ?? {}, usage: spec.usage ?? {} }),
        end.toISOString(),
        JSON.stringify({ limits: spec.limits ?? {}, devSamplePercent, thresholds }),
        at,
        at,
        JSON.stringify(spec.justification),
        plan ? JSON.stringify(plan) : null,
      );
      this.audit.append({
        kind: EVENTS.TENANT_CREATED,
        actor,
        tenant: spec.id,
        subject: spec.id,
        data: { org: spec.org, scenarios: spec.scenarios, grants: spec.grants, policyHash: policy.hash, termEnd: end.toISOString() },
      });
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
      this.store.run(
        'UPDATE tenants SET limits = ?, updated_at = ? WHERE id = ?',
        JSON.stringify({ limits: cur.limits, devSamplePercent: cur.devSamplePercent, thresholds: t }),
        new Date().toISOString(),
        id,
      );
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

  /** Records (or replaces) the emergency plan; required before activation. */
  /**
   * Adds grants (an applied data demand list, R20) with the scenarios that justify them; the
   * masked files change at the next build. Core and prohibited data are refused as at creation.
   */
  addGrants(id: string, grants: readonly Grant[], justification: Readonly<Record<string, readonly string[]>>, actor: string, reason: string): Authorization {
    return this.store.tx(() => {
      const cur = this.get(id);
      if (cur.state !== 'pending' && cur.state !== 'active') throw new OpError('TENANT_NOT_ACTIVE', `authorization "${id}" is ${cur.state}`);
      const merged = new Map<string, Set<string> | null>(cur.grants.map((g) => [g.dataset, g.fields ? new Set(g.fields) : null]));
      for (const g of grants) {
        const had = merged.get(g.dataset);
        if (had === null) continue;
        merged.set(g.dataset, g.fields ? new Set([...(had ?? []), ...g.fields]) : null);
      }
      const next: Grant[] = [...merged.entries()].map(([dataset, fields]) => (fields ? { dataset, fields: [...fields].sort() } : { dataset }));
      const spec = { ...cur, grants: next, justification: { ...cur.justification, ...justification } };
      const policy = resolvePolicy(spec.grants, spec.overrides, spec.usage);
      checkJustification(spec, policy);
      this.store.run(
        'UPDATE tenants SET grants = ?, justification = ?, updated_at = ? WHERE id = ?',
        JSON.stringify({ grants: next, overrides: cur.overrides, usage: cur.usage }),
        JSON.stringify(spec.justification),
        new Date().toISOString(),
        id,
      );
      this.audit.append({ kind: EVENTS.TENANT_GRANTS_CHANGED, actor, tenant: id, subject: id, data: { added: grants, policyHash: policy.hash, reason } });
      return this.get(id);
    });
  }

  /**
   * Sets column usage levels (only tighter than the catalog's); they reach the tenant files at
   * the next build, and a field not named keeps its current level.
   */
  setUsage(id: string, usage: UsageOverrides, actor: string): Authorization {
    return this.store.tx(() => {
      const cur = this.get(id);
      if (cur.state !== 'pending' && cur.state !== 'active') throw new OpError('TENANT_NOT_ACTIVE', `authorization "${id}" is ${cur.state}`);
      const merged: UsageOverrides = { ...cur.usage, ...usage };
      const policy = resolvePolicy(cur.grants, cur.overrides, merged);
      this.store.run(
        'UPDATE tenants SET grants = ?, updated_at = ? WHERE id = ?',
        JSON.stringify({ grants: cur.grants, overrides: cur.overrides, usage: merged }),
        new Date().toISOString(),
        id,
      );
      this.audit.append({ kind: EVENTS.TENANT_USAGE_SET, actor, tenant: id, subject: id, data: { usage, policyHash: policy.hash } });
      return this.get(id);
    });
  }

  /** Takes a dataset out of the grants (an own dataset whose load failed); the files change at the next build. */
  removeDataset(id: string, dataset: string, actor: string, reason: string): void {
    this.store.tx(() => {
      const cur = this.get(id);
      const grants = cur.grants.filter((g) => g.dataset !== dataset);
      const justification = Object.fromEntries(Object.entries(cur.justification).filter(([k]) => !k.startsWith(`${dataset}.`)));
      const usage = Object.fromEntries(Object.entries(cur.usage).filter(([k]) => !k.startsWith(`${dataset}.`)));
      this.store.run(
        'UPDATE tenants SET grants = ?, justification = ?, updated_at = ? WHERE id = ?',
        JSON.stringify({ grants, overrides: cur.overrides, usage }),
        JSON.stringify(justification),
        new Date().toISOString(),
        id,
      );
      this.audit.append({ kind: EVENTS.TENANT_GRANTS_CHANGED, actor, tenant: id, subject: id, data: { removed: [dataset], reason } });
    });
  }

  /** The administrative level the authorization sits at (a city's operator is below the province's data). */
  levelOf(id: string): string {
    return this.store.get<{ level: string | null }>('SELECT level FROM tenants WHERE id = ?', id)?.level ?? 'province';
  }

  setLevel(id: string, level: string, actor: string): void {
    this.get(id);
    this.store.tx(() => {
      this.store.run('UPDATE tenants SET level = ?, updated_at = ? WHERE id = ?', level, new Date().toISOString(), id);
      this.audit.append({ kind: EVENTS.TENANT_LEVEL_SET, actor, tenant: id, subject: id, data: { level } });
    });
  }

  setEmergencyPlan(id: string, input: unknown, actor: string): Authorization {
    const plan = parseEmergencyPlan(input);
    return this.store.tx(() => {
      const cur = this.get(id);
      if (cur.state === 'destroyed') throw new OpError('TENANT_NOT_ACTIVE', `authorization "${id}" is destroyed`);
      this.store.run('UPDATE tenants SET emergency_plan = ?, updated_at = ? WHERE id = ?', JSON.stringify(plan), new Date().toISOString(), id);
      this.audit.append({
        kind: EVENTS.TENANT_PLAN_SET,
        actor,
        tenant: id,
        subject: id,
        data: { summarySha256: createHash('sha256').update(plan.summary).digest('hex'), contact: plan.contact, approvedAt: plan.approvedAt },
      });
      return this.get(id);
    });
  }

  /** Builds the masked prod and dev files from the current raw store, then activates a pending authorization. */
  async provision(id: string, actor: string): Promise<Authorization> {
    const a = this.get(id);
    if (a.state !== 'pending' && a.state !== 'active') throw new OpError('TENANT_NOT_ACTIVE', `authorization "${id}" is ${a.state}`);
    if (!a.emergencyPlan)
      throw new OpError('TENANT_NO_EMERGENCY_PLAN', `authorization "${id}" has no emergency plan (一授权一预案); set one before activation`);
    if (!existsSync(this.paths.rawDb)) throw new OpError('SAMPLE_DATA_MISSING');
    const policy = resolvePolicy(a.grants, a.overrides, a.usage);
    const key = ensureTenantKey(this.paths.tenantKey(id));
    const result = await buildTenantFiles({
      rawPath: this.paths.rawDb,
      prodPath: this.paths.tenantDb(id, 'prod'),
      devPath: this.paths.tenantDb(id, 'dev'),
      policy,
      tenantKeyHex: key,
      devSamplePercent: a.devSamplePercent,
      ownRawPath: this.paths.ownRaw(id),
    });
    const datasets = a.grants.map((g) => {
      const v = this.versions.latest(g.dataset);
      return { dataset: g.dataset, version: v?.version ?? 0, contentHash: v?.contentHash ?? '' };
    });
    const build: BuildInfo = {
      buildId: `${id}-${randomUUID().slice(0, 8)}`,
      policyHash: result.policyHash,
      datasets,
      rows: result.rows,
      at: new Date().toISOString(),
    };
    return this.store.tx(() => {
      const cur = this.get(id);
      const state = cur.state === 'pending' ? checkTenantTransition('pending', 'activate') : cur.state;
      this.store.run('UPDATE tenants SET build = ?, state = ?, updated_at = ? WHERE id = ?', JSON.stringify(build), state, build.at, id);
      this.audit.append({ kind: EVENTS.TENANT_BUILT, actor, tenant: id, subject: id, data: { ...build } });
      if (cur.state !== state)
        this.audit.append({ kind: EVENTS.TENANT_STATE_CHANGED, actor, tenant: id, subject: id, data: { from: cur.state, to: state, action: 'activate' } });
      return this.get(id);
    });
  }

  /** Applies a lifecycle action from the transition table; destroy deletes files and keys. */
  transition(id: string, action: TenantAction, actor: string, reason?: string): Authorization {
    const a = this.store.tx(() => {
      const cur = this.get(id);
      const to = checkTenantTransition(cur.state, action);
      let destruction: Record<string, unknown> | undefined;
      if (action === 'destroy') destruction = this.destroyFiles(id);
      this.store.run('UPDATE tenants SET state = ?, updated_at = ? WHERE id = ?', to, new Date().toISOString(), id);
      this.audit.append({
        kind: EVENTS.TENANT_STATE_CHANGED,
        actor,
        tenant: id,
        subject: id,
        data: { from: cur.state, to, action, ...(reason ? { reason } : {}), ...(destruction ? { destruction } : {}) },
      });
      return this.get(id);
    });
    // Takes effect at once: running jobs are stopped (after the change is committed).
    if (STOPPED.includes(a.state) && this.onStopped) this.onStopped(id, actor, `authorization ${a.state}`);
    return a;
  }

  /** R15 and R31 for callers: the state as of now (an active authorization past its term becomes expired here). */
  current(id: string, now = new Date()): Authorization {
    const a = this.get(id);
    return a.state === 'active' && new Date(a.termEnd).getTime() <= now.getTime() ? this.transition(id, 'expire', 'system', 'term ended') : a;
  }

  /** R15: the term is enforced on every call — an active authorization past its end becomes expired. */
  checkOperable(id: string, now = new Date()): Authorization {
    // The term ends at termEnd: from that instant on, nothing more.
    const a = this.current(id, now);
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

/** Every delivered field needs a scenario of this authorization; every justification must name a delivered field and declared scenarios. */
function checkJustification(spec: AuthorizationSpec, policy: ReturnType<typeof resolvePolicy>): void {
  const j = spec.justification;
  if (!j || typeof j !== 'object' || Array.isArray(j))
    throw new OpError('TENANT_FIELD_UNJUSTIFIED', 'justification is required: {"dataset.field" | "dataset.*": [scenario, …]}');
  const delivered = new Set<string>();
  const datasets = new Set<string>();
  for (const d of policy.datasets) {
    datasets.add(d.dataset);
    for (const f of d.fields) if (f.op.name !== 'drop') delivered.add(`${d.dataset}.${f.field.name}`);
  }
  for (const [key, scenarios] of Object.entries(j)) {
    const [ds, field] = key.split('.');
    if (!ds || !field || !datasets.has(ds) || (field !== '*' && !delivered.has(key)))
      throw new OpError('BAD_REQUEST', `justification "${key.slice(0, 80)}" names no granted field`);
    if (!Array.isArray(scenarios) || scenarios.length === 0 || scenarios.some((s) => !spec.scenarios.includes(s))) {
      throw new OpError('BAD_REQUEST', `justification "${key.slice(0, 80)}" must list scenarios of this authorization`);
    }
  }
  const missing = [...delivered].filter((f) => !j[f] && !j[`${f.split('.')[0]}.*`]);
  if (missing.length > 0)
    throw new OpError(
      'TENANT_FIELD_UNJUSTIFIED',
      `no scenario justifies ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ` and ${missing.length - 10} more` : ''}: grant only what a scenario needs`,
    );
}

function parseEmergencyPlan(input: unknown): EmergencyPlan {
  const p = input as Partial<EmergencyPlan> | null;
  if (!p || typeof p !== 'object' || Array.isArray(p)) throw new OpError('BAD_REQUEST', 'emergencyPlan must be an object {summary, contact, approvedAt}');
  if (typeof p.summary !== 'string' || p.summary.trim().length < 10 || p.summary.length > 20_000)
    throw new OpError('BAD_REQUEST', 'emergencyPlan.summary must say what is done on an incident (10–20000 characters)');
  if (typeof p.contact !== 'string' || p.contact.trim() === '' || p.contact.length > 500) throw new OpError('BAD_REQUEST', 'emergencyPlan.contact is required');
  const approvedAt = p.approvedAt ?? new Date().toISOString();
  if (typeof approvedAt !== 'string' || Number.isNaN(new Date(approvedAt).getTime()))
    throw new OpError('BAD_REQUEST', 'emergencyPlan.approvedAt must be a date');
  return { summary: p.summary, contact: p.contact, approvedAt: new Date(approvedAt).toISOString() };
}
