// The call path of a data product, in the order that keeps it safe: the key → the consumer's
// grant of this version → the scenario → the authorization's state → the quota (counters in the
// control store, shared by every gateway on it; unreadable counters refuse the call) → strict
// parameters → the cache → the template in the tenant's locked-down instance → call-time
// disclosure control on measured cells → the consumer's ledger → one audit entry → the answer.
// Every call, refused ones included, leaves exactly one audit entry; a served answer commits
// with its entry, its rows and its ledger cells, or is not served.
import { createHash, randomBytes } from 'node:crypto';
import { OpError, toOpError } from '../errors/index.ts';
import { ledgerConflicts, toCsv, type PriorCell, type Thresholds } from '../exports/index.ts';
import type { Authorization } from '../domain/index.ts';
import { canonicalJson, EVENTS } from '../lineage/index.ts';
import { canonicalParams, readParams, SERVED_STATES, type Controlled, type ParamValue, type ProductSpec } from '../products/index.ts';
import { resolveLimits } from '../sandbox/index.ts';
import type { DomainContext } from './context.ts';
import { checkRole, type Principal } from './principal.ts';
import type { ConsumerService, GrantRow } from './consumerService.ts';
import type { ProductService, VersionRow } from './productService.ts';

export interface CallRequest {
  /** The x-api-key header. */
  readonly key?: string | undefined;
  /** Something in the query string looked like a key: refused, keys travel in a header only. */
  readonly keyInQuery?: boolean;
  readonly scenario?: string | undefined;
  readonly product: string;
  readonly version: string;
  readonly query: Readonly<Record<string, unknown>>;
  readonly format: 'json' | 'csv';
}

export interface ConsumerActivity {
  /** null: calls without a valid key. */
  readonly consumer: string | null;
  readonly calls: number;
  readonly served: number;
  readonly distinctParams: number;
  readonly refused: Readonly<Record<string, number>>;
  readonly flagged: boolean;
  readonly reasons: readonly string[];
}

/** What flags a consumer's day: this many distinct parameter sets, or this many bad calls. */
const ACTIVITY_DISTINCT_PARAMS = 50;
const ACTIVITY_BAD_PARAMS = 20;

export interface CallAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly contentType: string;
  readonly body: string;
}

const CALL_TIMEOUT_MS = 10_000;
const CACHE_TTL_MS = 5 * 60_000;
const CACHE_ENTRIES = 2000;
/** Earlier calls an answer is compared with unit by unit at most; beyond, it is refused. */
const MAX_EXACT_COMPARISONS = 8;
const VERSION = /^v([1-9]\d{0,6})$/;
const KNOWN_CELLS = 50_000;
const KNOWN_CONSUMERS = 1000;
const cellId = (c: { measure: string; group: string; units: number; fingerprint: string }) =>
  `${c.measure}\u0001${c.group}\u0001${c.units}\u0001${c.fingerprint}`;

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** What a call reads of its authorization once. */
interface Setting {
  readonly auth: Authorization;
  readonly thresholds: Thresholds;
  readonly min: number;
}

interface Rate {
  readonly limit: number;
  readonly remaining: number;
  readonly reset: number;
}

/** What the audit entry of a call says; filled in as the call goes. */
interface Trail {
  op: 'call' | 'list' | 'openapi';
  consumer?: string;
  keyId?: string;
  grant?: string;
  tenant?: string;
  product?: string;
  version?: number;
  versionHash?: string;
  paramsHash?: string;
  rows?: number;
  suppressed?: number;
  cached?: boolean;
}

function periods(now: Date): { minute: string; day: string; minuteReset: number; dayReset: number } {
  const iso = now.toISOString();
  const next = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
  return {
    minute: `m:${iso.slice(0, 16)}`,
    day: `d:${iso.slice(0, 10)}`,
    minuteReset: 60 - now.getUTCSeconds(),
    dayReset: Math.ceil((next - now.getTime()) / 1000),
  };
}

export class ProductCalls {
  private readonly cache = new Map<string, { answer: Controlled; at: number }>();
  /** Called after a differencing refusal (the domain's own risk watch). */
  afterDifferencing?: (tenant: string) => void;

  constructor(
    private readonly ctx: DomainContext,
    private readonly products: ProductService,
    private readonly consumers: ConsumerService,
    private readonly beforeCall: (tenant: string) => void,
  ) {}

  /** Forgets every cached answer (a benchmark measures the uncached path with it). */
  clearCache(): void {
    this.cache.clear();
  }

  /** One product call, answered whatever happens: the audit entry is written before the answer. */
  async call(req: CallRequest): Promise<CallAnswer> {
    const started = performance.now();
    const trail: Trail = { op: 'call' };
    let rate: Rate | undefined;
    try {
      const { grant, row, spec, auth } = this.admit(req, trail);
      // Read once per call: the authorization's limits and thresholds, and the call's minimum units.
      const thresholds = this.ctx.authorizations.effectiveThresholds(row.tenant);
      const setting: Setting = { auth, thresholds, min: Math.max(spec.controls.minUnits, thresholds.minCellCount) };
      const taken = this.takeQuota(grant);
      rate = taken;
      const params = readParams(spec, req.query);
      trail.paramsHash = sha256(canonicalParams(params));
      const answer = await this.answer(row, spec, params, trail, setting);
      return await this.oneAtATime(grant.consumer, async () => {
        const seen = this.ledgerMark();
        await this.checkLedger(grant, row, spec, params, answer, setting);
        return this.serve(req, grant, row, params, answer, trail, taken, started, seen, setting.min);
      });
    } catch (err) {
      return this.refuse(err, trail, rate, started);
    }
  }

  /** Key, grant, scenario, served version, authorization state: who may ask, and for what. */
  private admit(req: CallRequest, trail: Trail): { grant: GrantRow; row: VersionRow; spec: ProductSpec; auth: Authorization } {
    const grant = this.grantFor(this.authenticate(req, trail), req, trail);
    if (req.scenario !== grant.scenario) throw new OpError('PRODUCT_SCENARIO_MISMATCH', 'the x-scenario header must name the granted scenario');
    const row = this.products.row(grant.product, grant.version);
    trail.tenant = row.tenant;
    trail.versionHash = row.hash;
    if (!SERVED_STATES.has(row.state)) throw new OpError('PRODUCT_NOT_FOUND', `this product version is ${row.state} and no longer served`);
    const auth = this.ctx.authorizations.checkOperable(row.tenant);
    this.beforeCall(row.tenant);
    return { grant, row, spec: this.products.specOf(row), auth };
  }

  /** The consumer's live grant of the version the path names (deny by default: no grant, no answer). */
  private grantFor(who: { consumer: string }, req: { product: string; version: string }, trail: Trail): GrantRow {
    const m = VERSION.exec(req.version);
    if (!m) throw new OpError('PRODUCT_NOT_FOUND', 'versions are named v1, v2, …');
    trail.product = req.product.slice(0, 60);
    trail.version = Number(m[1]);
    const grant = this.consumers.liveGrant(who.consumer, req.product, trail.version);
    if (!grant) throw new OpError('PRODUCT_NOT_GRANTED', 'this key holds no valid grant for that product version');
    trail.grant = grant.id;
    return grant;
  }

  private authenticate(req: CallRequest, trail: Trail): { consumer: string; keyId: string } {
    if (req.keyInQuery) throw new OpError('API_KEY_IN_QUERY');
    if (!req.key) throw new OpError('API_KEY_REQUIRED');
    const who = this.consumers.authenticate(req.key);
    trail.consumer = who.consumer;
    trail.keyId = who.keyId;
    return who;
  }

  /** This minute's and today's counters of a grant; counters that cannot be read refuse the call. */
  private usage(grant: string): { minute: { calls: number; row_count: number }; day: { calls: number; row_count: number }; p: ReturnType<typeof periods> } {
    const p = periods(new Date());
    try {
      const read = (period: string) =>
        this.ctx.store.get<{ calls: number; row_count: number }>(
          'SELECT calls, row_count FROM product_usage WHERE grant_id = ? AND period = ?',
          grant,
          period,
        ) ?? { calls: 0, row_count: 0 };
      return { minute: read(p.minute), day: read(p.day), p };
    } catch {
      throw new OpError('PRODUCT_QUOTA_UNAVAILABLE');
    }
  }

  /** Refuses a call over the grant's quotas; else the rate as it stands with this call counted. */
  private quota(g: GrantRow, u: ReturnType<ProductCalls['usage']>): Rate {
    const refuse = (what: string, retry: number, limit: number) => {
      throw new OpError('PRODUCT_QUOTA', `the grant's ${what} is used up`, { retryAfter: retry, limit, remaining: 0, reset: retry });
    };
    if (u.minute.calls >= g.per_minute) refuse(`${g.per_minute} calls a minute`, u.p.minuteReset, g.per_minute);
    if (u.day.calls >= g.per_day) refuse(`${g.per_day} calls a day`, u.p.dayReset, g.per_day);
    if (u.day.row_count >= g.rows_per_day) refuse(`${g.rows_per_day} rows a day`, u.p.dayReset, g.per_day);
    const byMinute = g.per_minute - u.minute.calls - 1 <= g.per_day - u.day.calls - 1;
    return byMinute
      ? { limit: g.per_minute, remaining: g.per_minute - u.minute.calls - 1, reset: u.p.minuteReset }
      : { limit: g.per_day, remaining: g.per_day - u.day.calls - 1, reset: u.p.dayReset };
  }

  /** Before anything runs: the counters as they stand (read, not written — the call is counted as it ends). */
  private takeQuota(g: GrantRow): Rate {
    return this.quota(g, this.usage(g.id));
  }

  /**
   * Counts a call in the transaction that ends it (its audit entry's): one commit a call. A served
   * answer is counted again against the quotas as they are now (another gateway's calls meanwhile)
   * and with its rows; counters that cannot be written refuse it.
   */
  private countCall(g: { id: string }, served?: { grant: GrantRow; rows: number }): void {
    if (served) {
      const u = this.usage(g.id);
      this.quota(served.grant, u);
      if (u.day.row_count + served.rows > served.grant.rows_per_day) {
        throw new OpError('PRODUCT_QUOTA', `the grant's ${served.grant.rows_per_day} rows a day would be passed`, {
          retryAfter: u.p.dayReset,
          limit: served.grant.per_day,
          remaining: 0,
          reset: u.p.dayReset,
        });
      }
    }
    const p = periods(new Date());
    const rows = served?.rows ?? 0;
    try {
      const bump =
        'INSERT INTO product_usage (grant_id, period, calls, row_count) VALUES (?, ?, 1, ?) ON CONFLICT (grant_id, period) DO UPDATE SET calls = product_usage.calls + 1, row_count = product_usage.row_count + excluded.row_count';
      this.ctx.store.run(bump, g.id, p.minute, 0);
      this.ctx.store.run(bump, g.id, p.day, rows);
    } catch {
      throw new OpError('PRODUCT_QUOTA_UNAVAILABLE');
    }
  }

  /** The controlled answer: from the cache (same version, build and parameters), else computed. */
  private async answer(row: VersionRow, spec: ProductSpec, params: Record<string, ParamValue>, trail: Trail, setting: Setting): Promise<Controlled> {
    const { ctx } = this;
    const { auth, thresholds } = setting;
    // The answer depends on the version, the data (its build), the thresholds and the parameters.
    const key = `${row.hash}\u0001${auth.build?.buildId ?? ''}\u0001${canonicalJson(thresholds)}\u0001${canonicalParams(params)}`;
    const hit = this.cache.get(key);
    if (hit && Date.now() - hit.at < CACHE_TTL_MS) {
      trail.cached = true;
      return hit.answer;
    }
    const result = await ctx.productEngine.call({
      dbPath: ctx.paths.tenantDb(row.tenant, 'prod'),
      limits: resolveLimits(auth.limits),
      tenant: row.tenant,
      sql: spec.sql,
      params,
      thresholds,
      controls: spec.controls,
      timeoutMs: CALL_TIMEOUT_MS,
    });
    // Only the controlled answer is kept: the rows before the controls never leave the engine's caller.
    const answer: Controlled = { columns: result.columns, rows: result.rows, suppressed: result.suppressed, ledger: result.ledger };
    if (this.cache.size >= CACHE_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, { answer, at: Date.now() });
    trail.cached = false;
    return answer;
  }

  private priorOf(consumer: string) {
    return (measure: string): PriorCell[] =>
      this.ctx.store
        .all<{ key: string; tables: string; units: number; fingerprint: string; tenant: string; call_id: string }>(
          'SELECT key, tables, units, fingerprint, tenant, call_id FROM product_ledger WHERE consumer = ? AND measure = ?',
          consumer,
          measure,
        )
        .map((r) => ({ requestId: r.call_id, measure, group: r.key, tables: r.tables, units: r.units, fingerprint: r.fingerprint, tenant: r.tenant }));
  }

  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly known = new Map<string, Set<string>>();

  /** The ledger cells this gateway has written per consumer (bounded; forgetting one only costs an insert). */
  private knownCells(consumer: string): Set<string> {
    let set = this.known.get(consumer);
    if (!set || set.size > KNOWN_CELLS) {
      if (this.known.size >= KNOWN_CONSUMERS) this.known.delete(this.known.keys().next().value!);
      set = new Set();
      this.known.set(consumer, set);
    }
    return set;
  }

  /** A consumer's answers are checked against its ledger and committed one after another. */
  private async oneAtATime<T>(consumer: string, fn: () => Promise<T>): Promise<T> {
    const before = this.queues.get(consumer) ?? Promise.resolve();
    const mine = before.then(fn, fn);
    const tail = mine.catch(() => undefined);
    this.queues.set(consumer, tail);
    try {
      return await mine;
    } finally {
      if (this.queues.get(consumer) === tail) this.queues.delete(consumer);
    }
  }

  /** The newest ledger row now: cells added after it came from calls committed meanwhile (another gateway's). */
  private ledgerMark(): number {
    return this.ctx.store.get<{ n: number | null }>('SELECT max(rowid) AS n FROM product_ledger')?.n ?? 0;
  }

  /**
   * The consumer's ledger: an answer whose cell differs from an earlier answer's same cell by
   * fewer units than the minimum may give those few away by subtraction. The counts flag the
   * pairs; for each earlier call of the same template the units themselves decide (nested
   * ranges differ by their few units, two disjoint groups by all of theirs). Margins and
   * anything that cannot be compared unit by unit stay refused.
   */
  private async checkLedger(
    grant: GrantRow,
    row: VersionRow,
    spec: ProductSpec,
    params: Record<string, ParamValue>,
    answer: Controlled,
    setting: Setting,
  ): Promise<void> {
    const { ctx } = this;
    const { min } = setting;
    // The basis goes to the audit entry (security staff read it), never to the consumer.
    const refuse = (basis: string, earlier?: string) => {
      throw new OpError('PRODUCT_DIFFERENCING', `this answer differs from an earlier answer to this consumer by fewer than ${min} units; it is not served`, {
        basis,
        ...(earlier ? { earlier } : {}),
      });
    };
    const none = () => [];
    const within = ledgerConflicts(answer.ledger, none, min, row.tenant).blocks;
    if (within > 0) refuse('two cells of this answer');
    const found = ledgerConflicts(answer.ledger, this.priorOf(grant.consumer), min, row.tenant);
    if (found.blocks === 0) return;
    const calls = [...new Set(found.sources.map((s) => s.split(' ')[0]!))];
    if (calls.length > MAX_EXACT_COMPARISONS) refuse('too many earlier answers to compare');
    for (const id of calls) {
      const cells = this.cellsOfCall(grant.consumer, id);
      const all = ledgerConflicts(answer.ledger, (m) => cells.filter((c) => c.measure === m), min, row.tenant).blocks;
      const pairs = answer.ledger.filter((c) =>
        cells.some((o) => o.measure === c.measure && o.group === c.group && Math.abs(o.units - c.units) > 0 && Math.abs(o.units - c.units) < min),
      );
      if (all > pairs.length) refuse('a margin of an earlier answer', id);
      const earlier = ctx.store.get<{ product: string; version: number; params: string }>(
        'SELECT product, version, params FROM product_calls WHERE call_id = ?',
        id,
      );
      const earlierRow = earlier ? this.products.find(earlier.product, earlier.version) : undefined;
      // Another authorization's tokens are other tokens: its answers cannot be compared unit by unit.
      if (!earlier || !earlierRow || earlierRow.tenant !== row.tenant) refuse('an answer of another authorization', id);
      const earlierSpec = this.products.specOf(earlierRow!);
      const diff = await ctx.productEngine.difference(
        {
          dbPath: ctx.paths.tenantDb(row.tenant, 'prod'),
          limits: resolveLimits(setting.auth.limits),
          tenant: row.tenant,
          sql: spec.sql,
          params,
          thresholds: setting.thresholds,
          controls: spec.controls,
          timeoutMs: CALL_TIMEOUT_MS,
        },
        { sql: earlierSpec.sql, params: JSON.parse(earlier!.params) as Record<string, ParamValue>, controls: earlierSpec.controls },
        new Set(pairs.map((c) => c.group)),
      );
      if (diff < min) refuse('a cell holding an earlier cell', id);
    }
  }

  private cellsOfCall(consumer: string, callId: string): PriorCell[] {
    return this.ctx.store
      .all<{ measure: string; key: string; tables: string; units: number; fingerprint: string; tenant: string }>(
        'SELECT measure, key, tables, units, fingerprint, tenant FROM product_ledger WHERE consumer = ? AND call_id = ?',
        consumer,
        callId,
      )
      .map((r) => ({ requestId: callId, measure: r.measure, group: r.key, tables: r.tables, units: r.units, fingerprint: r.fingerprint, tenant: r.tenant }));
  }

  /** Rows quota, ledger cells, the call's parameters and its audit entry in one transaction; then the answer. */
  private serve(
    req: CallRequest,
    grant: GrantRow,
    row: VersionRow,
    params: Record<string, ParamValue>,
    answer: Controlled,
    trail: Trail,
    rate: Rate,
    started: number,
    seen: number,
    min: number,
  ): CallAnswer {
    const { ctx } = this;
    const callId = `call_${randomBytes(8).toString('hex')}`;
    const body =
      req.format === 'csv'
        ? toCsv(
            answer.columns.map((name) => ({ name })),
            answer.rows,
          )
        : JSON.stringify({
            product: row.product,
            version: row.version,
            callId,
            columns: answer.columns,
            rows: answer.rows.map((r) => Object.fromEntries(answer.columns.map((c, j) => [c, r[j]]))),
            suppressedRows: answer.suppressed,
          });
    trail.rows = answer.rows.length;
    trail.suppressed = answer.suppressed;
    ctx.store.tx(() => {
      // Answers another gateway committed for this consumer since the check: any count conflict refuses (no time to compare units here).
      const since = ctx.store
        .all<{ measure: string; key: string; tables: string; units: number; fingerprint: string; tenant: string; call_id: string }>(
          'SELECT measure, key, tables, units, fingerprint, tenant, call_id FROM product_ledger WHERE consumer = ? AND rowid > ?',
          grant.consumer,
          seen,
        )
        .map((r) => ({
          requestId: r.call_id,
          measure: r.measure,
          group: r.key,
          tables: r.tables,
          units: r.units,
          fingerprint: r.fingerprint,
          tenant: r.tenant,
        }));
      if (since.length > 0 && ledgerConflicts(answer.ledger, (m) => since.filter((c) => c.measure === m), min, row.tenant).blocks > 0) {
        throw new OpError('PRODUCT_DIFFERENCING', `this answer differs from an earlier answer to this consumer by fewer than ${min} units; it is not served`, {
          basis: 'an answer committed meanwhile',
        });
      }
      this.countCall(grant, { grant, rows: answer.rows.length });
      const at = new Date().toISOString();
      ctx.store.run(
        'INSERT INTO product_calls (call_id, consumer, product, version, params, at) VALUES (?, ?, ?, ?, ?, ?)',
        callId,
        grant.consumer,
        row.product,
        row.version,
        canonicalParams(params),
        at,
      );
      // Cells this gateway already wrote for the consumer are in the ledger (the primary key would ignore them anyway).
      const known = this.knownCells(grant.consumer);
      const fresh = answer.ledger.filter((c) => !known.has(cellId(c)));
      for (const c of fresh)
        ctx.store.run(
          'INSERT OR IGNORE INTO product_ledger (consumer, measure, key, tables, units, fingerprint, tenant, call_id, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
          grant.consumer,
          c.measure,
          c.group,
          c.tables,
          c.units,
          c.fingerprint,
          c.tenant,
          callId,
          at,
        );
      this.audit(trail, { callId, status: 200, responseHash: sha256(body), latencyMs: Math.round(performance.now() - started) });
    });
    const known = this.knownCells(grant.consumer);
    for (const c of answer.ledger) known.add(cellId(c));
    return {
      status: 200,
      headers: this.rateHeaders(rate),
      contentType: req.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8',
      body,
    };
  }

  private refuse(err: unknown, trail: Trail, rate: Rate | undefined, started: number): CallAnswer {
    let e = toOpError(err);
    // DuckDB's and the store's own messages may quote data or paths: a consumer sees the class.
    if (e.code === 'INTERNAL') e = new OpError('PRODUCT_CALL_FAILED');
    // The store's own words name files and devices: a consumer reads the registry's.
    if (e.errorClass === 'audit' || e.code === 'PRODUCT_QUOTA_UNAVAILABLE') e = new OpError(e.code);
    const callId = `call_${randomBytes(8).toString('hex')}`;
    const basis = e.code === 'PRODUCT_DIFFERENCING' ? { differencing: e.details } : {};
    const entry = { callId, status: e.status, code: e.code, latencyMs: Math.round(performance.now() - started), ...basis };
    // A call that got past the quota counts, refused or not (bad parameters probe too), with its entry in one commit.
    const counts = rate !== undefined && trail.grant !== undefined && e.code !== 'PRODUCT_QUOTA' && e.code !== 'PRODUCT_QUOTA_UNAVAILABLE';
    try {
      this.ctx.store.tx(() => {
        if (counts) this.countCall({ id: trail.grant! });
        this.audit(trail, entry);
      });
    } catch {
      try {
        this.audit(trail, entry);
      } catch {
        // The refusal stands even if it could not be logged.
      }
    }
    if (e.code === 'PRODUCT_DIFFERENCING' && trail.tenant) this.afterDifferencing?.(trail.tenant);
    const headers: Record<string, string> = rate ? this.rateHeaders(rate) : {};
    const d = e.details as { retryAfter?: number; limit?: number; remaining?: number; reset?: number } | undefined;
    if (e.code === 'PRODUCT_QUOTA' && d?.retryAfter !== undefined) {
      Object.assign(headers, {
        'retry-after': String(d.retryAfter),
        'ratelimit-limit': String(d.limit),
        'ratelimit-remaining': '0',
        'ratelimit-reset': String(d.reset),
      });
    }
    const body = JSON.stringify({ error: { code: e.code, class: e.errorClass, message: e.message } });
    return { status: e.status, headers, contentType: 'application/json; charset=utf-8', body };
  }

  private rateHeaders(r: Rate): Record<string, string> {
    return { 'ratelimit-limit': String(r.limit), 'ratelimit-remaining': String(Math.max(0, r.remaining)), 'ratelimit-reset': String(r.reset) };
  }

  private audit(
    trail: Trail,
    result: { callId: string; status: number; code?: string; responseHash?: string; latencyMs: number; differencing?: unknown },
  ): void {
    this.ctx.audit.append({
      kind: EVENTS.PRODUCT_CALL,
      actor: trail.consumer ? `consumer:${trail.consumer}` : 'anonymous',
      tenant: trail.tenant ?? null,
      subject: result.callId,
      data: { ...trail, ...result },
    });
  }

  /** GET /products: what this key's consumer is granted now (audited like a call). */
  list(req: { key?: string | undefined; keyInQuery?: boolean }): CallAnswer {
    const started = performance.now();
    const trail: Trail = { op: 'list' };
    try {
      const who = this.authenticate({ ...req, product: '', version: '', query: {}, format: 'json' }, trail);
      const products = this.consumers.liveGrants(who.consumer).flatMap((g) => {
        const r = this.products.find(g.product, g.version);
        if (!r || !SERVED_STATES.has(r.state)) return [];
        const spec = this.products.specOf(r);
        const path = `/products/${r.product}/v${r.version}`;
        return [
          {
            product: r.product,
            version: r.version,
            hash: r.hash,
            title: spec.title,
            scenario: g.scenario,
            path,
            openapi: `${path}/openapi.json`,
            validUntil: g.valid_until,
            quotas: { perMinute: g.per_minute, perDay: g.per_day, rowsPerDay: g.rows_per_day },
          },
        ];
      });
      const body = JSON.stringify({ consumer: who.consumer, products });
      return this.servedJson(trail, body, started);
    } catch (err) {
      return this.refuse(err, trail, undefined, started);
    }
  }

  /** A JSON answer that is not a call's (the list, a document): audited like a call, then sent. */
  private servedJson(trail: Trail, body: string, started: number): CallAnswer {
    this.audit(trail, {
      callId: `call_${randomBytes(8).toString('hex')}`,
      status: 200,
      responseHash: sha256(body),
      latencyMs: Math.round(performance.now() - started),
    });
    return { status: 200, headers: {}, contentType: 'application/json; charset=utf-8', body };
  }

  /** A granted version's OpenAPI document (audited like a call). */
  openApi(req: { key?: string | undefined; keyInQuery?: boolean; product: string; version: string }): CallAnswer {
    const started = performance.now();
    const trail: Trail = { op: 'openapi' };
    try {
      const grant = this.grantFor(this.authenticate({ ...req, query: {}, format: 'json' }, trail), req, trail);
      const body = JSON.stringify(this.products.openApi(grant.product, grant.version));
      return this.servedJson(trail, body, started);
    } catch (err) {
      return this.refuse(err, trail, undefined, started);
    }
  }

  /** Calls as the audit log records them, newest first: the authority sees all, an operator its own products'. */
  recentFor(p: Principal, filter: { consumer?: string; product?: string; limit?: number }): Record<string, unknown>[] {
    return this.recent({ ...filter, tenant: p.role === 'operator' ? p.tenant : null });
  }

  /**
   * Per consumer over the last `hours`: calls, distinct parameter sets, refusals by code, and a
   * flag for what security staff should look at — a consumer walking the parameter space (many
   * distinct parameter sets, differencing refusals, repeated bad parameters).
   */
  activity(p: Principal, hours = 24): ConsumerActivity[] {
    checkRole(p, 'security', 'admin', 'reviewer');
    const since = new Date(Date.now() - hours * 3_600_000).toISOString();
    // Aggregated by the store: a busy day holds millions of calls.
    const totals = this.ctx.store.all<{ actor: string; calls: number; served: number; params: number }>(
      `SELECT actor, count(*) AS calls, count(*) FILTER (WHERE CAST(json_extract(body, '$.data.status') AS INTEGER) = 200) AS served,
              count(DISTINCT json_extract(body, '$.data.paramsHash')) AS params
         FROM audit WHERE kind = 'PRODUCT_CALL' AND at >= ? GROUP BY actor`,
      since,
    );
    const codes = this.ctx.store.all<{ actor: string; code: string; n: number }>(
      `SELECT actor, json_extract(body, '$.data.code') AS code, count(*) AS n FROM audit
        WHERE kind = 'PRODUCT_CALL' AND at >= ? AND json_extract(body, '$.data.code') IS NOT NULL GROUP BY actor, code`,
      since,
    );
    const by = new Map(totals.map((t) => [t.actor, { calls: t.calls, served: t.served, distinct: t.params, refused: {} as Record<string, number> }]));
    for (const c of codes) {
      const a = by.get(c.actor);
      if (a) a.refused[c.code] = c.n;
    }
    return [...by.entries()].map(([actor, a]) => {
      const reasons: string[] = [];
      if ((a.refused.PRODUCT_DIFFERENCING ?? 0) > 0) reasons.push(`${a.refused.PRODUCT_DIFFERENCING} answers refused as differencing`);
      if (a.distinct >= ACTIVITY_DISTINCT_PARAMS) reasons.push(`${a.distinct} distinct parameter sets`);
      if ((a.refused.PRODUCT_BAD_PARAMETERS ?? 0) >= ACTIVITY_BAD_PARAMS) reasons.push(`${a.refused.PRODUCT_BAD_PARAMETERS} calls with bad parameters`);
      if ((a.refused.API_KEY_INVALID ?? 0) >= ACTIVITY_BAD_PARAMS) reasons.push(`${a.refused.API_KEY_INVALID} calls with an invalid key`);
      return {
        consumer: actor.startsWith('consumer:') ? actor.slice(9) : null,
        calls: a.calls,
        served: a.served,
        distinctParams: a.distinct,
        refused: a.refused,
        flagged: reasons.length > 0,
        reasons,
      };
    });
  }

  recent(filter: { tenant?: string | null; consumer?: string; product?: string; limit?: number }): Record<string, unknown>[] {
    const where = ["kind = 'PRODUCT_CALL'"];
    const params: unknown[] = [];
    if (filter.tenant) {
      where.push('tenant = ?');
      params.push(filter.tenant);
    }
    if (filter.consumer) {
      where.push('actor = ?');
      params.push(`consumer:${filter.consumer}`);
    }
    // In the query, so the newest N are the newest N of that product.
    if (filter.product) {
      where.push("json_extract(body, '$.data.product') = ?");
      params.push(filter.product);
    }
    const limit = Math.min(Math.max(filter.limit ?? 200, 1), 1000);
    const rows = this.ctx.store.all<{ seq: number; at: string; body: string }>(
      `SELECT seq, at, body FROM audit WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT ?`,
      ...params,
      limit,
    );
    return rows.map((r): Record<string, unknown> => ({ seq: r.seq, at: r.at, ...((JSON.parse(r.body) as { data?: Record<string, unknown> }).data ?? {}) }));
  }
}
