// Consumers (organisations outside the domain), their API keys and their grants. Deny by default:
// a key reaches nothing until an administrator grants its consumer one served product version
// for one scenario, with a validity and quotas. A key is shown once and stored as a hash; it
// expires and can be revoked; revoking a key or a grant takes effect on the next call.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { OpError } from '../errors/index.ts';
import { EVENTS } from '../lineage/index.ts';
import { SERVED_STATES } from '../products/index.ts';
import type { DomainContext } from './context.ts';
import { checkReason } from './reasons.ts';
import { checkRole, type Principal } from './principal.ts';
import { ConsumerRepository, type ConsumerRow, type GrantRow, type KeyRow } from './repositories/consumers.ts';

export type { ConsumerRow, GrantRow } from './repositories/consumers.ts';

export interface GrantView {
  readonly id: string;
  readonly consumer: string;
  readonly product: string;
  readonly version: number;
  readonly scenario: string;
  readonly validUntil: string;
  readonly quotas: { readonly perMinute: number; readonly perDay: number; readonly rowsPerDay: number };
  readonly revokedAt: string | null;
  readonly createdAt: string;
  /** Calls this minute and today, rows today (UTC), from the shared counters. */
  readonly usage: { readonly callsThisMinute: number; readonly callsToday: number; readonly rowsToday: number };
}

const CONSUMER_ID = /^[a-z][a-z0-9-]{1,47}$/;
const KEY_FORMAT = /^odk_([a-f0-9]{16})_([A-Za-z0-9_-]{43})$/;
const MAX_KEY_DAYS = 365;
const MAX_GRANT_DAYS = 3650;

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const bad = (msg: string): never => {
  throw new OpError('BAD_REQUEST', msg);
};
const intIn = (v: unknown, what: string, lo: number, hi: number, dflt?: number): number => {
  const x = v === undefined ? dflt : v;
  if (typeof x !== 'number' || !Number.isInteger(x) || x < lo || x > hi) bad(`${what} must be an integer from ${lo} to ${hi}`);
  return x as number;
};
const days = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString();

export interface ConsumerView {
  readonly id: string;
  readonly name: string;
  readonly contact: string;
  readonly state: string;
  readonly createdBy: string;
  readonly createdAt: string;
}

export interface KeyView {
  readonly id: string;
  readonly consumer: string;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly revokedAt: string | null;
}

const consumerView = (c: ConsumerRow): ConsumerView => ({
  id: c.id,
  name: c.name,
  contact: c.contact,
  state: c.state,
  createdBy: c.created_by,
  createdAt: c.created_at,
});
const keyView = (k: KeyRow): KeyView => ({
  id: k.id,
  consumer: k.consumer,
  createdBy: k.created_by,
  createdAt: k.created_at,
  expiresAt: k.expires_at,
  revokedAt: k.revoked_at,
});

function byConsumer<T extends { consumer: string }>(items: readonly T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const x of items) out.set(x.consumer, [...(out.get(x.consumer) ?? []), x]);
  return out;
}

function grantView(g: GrantRow, usage: GrantView['usage']): GrantView {
  return {
    id: g.id,
    consumer: g.consumer,
    product: g.product,
    version: g.version,
    scenario: g.scenario,
    validUntil: g.valid_until,
    quotas: { perMinute: g.per_minute, perDay: g.per_day, rowsPerDay: g.rows_per_day },
    revokedAt: g.revoked_at,
    createdAt: g.created_at,
    usage,
  };
}

export class ConsumerService {
  private readonly rows: ConsumerRepository;

  constructor(private readonly ctx: DomainContext) {
    this.rows = new ConsumerRepository(ctx.store);
  }

  add(p: Principal, input: { id?: unknown; name?: unknown; contact?: unknown }): ConsumerView {
    const { ctx } = this;
    checkRole(p, 'admin');
    const id = typeof input?.id === 'string' && CONSUMER_ID.test(input.id) ? input.id : bad(`id must match ${CONSUMER_ID.source}`);
    const name =
      typeof input.name === 'string' && input.name.trim() && input.name.length <= 200
        ? input.name.trim()
        : bad('name (the organisation, at most 200 characters) is required');
    const contact =
      input.contact === undefined
        ? ''
        : typeof input.contact === 'string' && input.contact.length <= 200
          ? input.contact
          : bad('contact must be a text of at most 200 characters');
    ctx.store.tx(() => {
      if (this.rows.consumer(id)) throw new OpError('CONSUMER_EXISTS');
      this.rows.insertConsumer({ id, name, contact, created_by: p.user, created_at: new Date().toISOString() });
      ctx.audit.append({ kind: EVENTS.CONSUMER_REGISTERED, actor: p.user, subject: `consumer:${id}`, data: { consumer: id, name } });
    });
    return consumerView(this.consumer(id));
  }

  /** Ends a consumer: every key of it stops on the next call (grants and keys stay as evidence). */
  revoke(p: Principal, id: string, reason: unknown): ConsumerView {
    const { ctx } = this;
    checkRole(p, 'admin', 'security');
    const why = checkReason(reason, 'revoke a consumer');
    ctx.store.tx(() => {
      const c = this.consumer(id);
      if (c.state === 'revoked') return;
      this.rows.revokeConsumer(id);
      ctx.audit.append({ kind: EVENTS.CONSUMER_REVOKED, actor: p.user, subject: `consumer:${id}`, data: { consumer: id, reason: why } });
    });
    return consumerView(this.consumer(id));
  }

  consumer(id: string): ConsumerRow {
    const c = this.rows.consumer(id);
    if (!c) throw new OpError('CONSUMER_NOT_FOUND', `no consumer "${String(id).slice(0, 60)}"`);
    return c;
  }

  list(p: Principal): (ConsumerView & { keys: KeyView[]; grants: GrantView[] })[] {
    checkRole(p, 'admin', 'security', 'reviewer');
    // Three reads for the whole register, not three per consumer.
    const keys = byConsumer(this.rows.keys().map(keyView));
    const grants = byConsumer(this.grants());
    return this.rows.consumers().map((c) => ({ ...consumerView(c), keys: keys.get(c.id) ?? [], grants: grants.get(c.id) ?? [] }));
  }

  /** A new key: `odk_<id>_<secret>`, returned this once; the domain keeps its hash. */
  issueKey(p: Principal, consumer: string, input: { days?: unknown } = {}): { keyId: string; key: string; consumer: string; expiresAt: string } {
    const { ctx } = this;
    checkRole(p, 'admin');
    this.consumer(consumer);
    const validDays = intIn(input?.days, 'days', 1, MAX_KEY_DAYS, 90);
    const keyId = randomBytes(8).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    const expiresAt = days(validDays);
    ctx.store.tx(() => {
      this.rows.insertKey({
        id: keyId,
        consumer,
        secret_hash: sha256(secret),
        created_by: p.user,
        created_at: new Date().toISOString(),
        expires_at: expiresAt,
      });
      ctx.audit.append({ kind: EVENTS.API_KEY_ISSUED, actor: p.user, subject: `consumer:${consumer}`, data: { consumer, keyId, expiresAt } });
    });
    return { keyId, key: `odk_${keyId}_${secret}`, consumer, expiresAt };
  }

  revokeKey(p: Principal, keyId: string, reason: unknown): { keyId: string; revokedAt: string } {
    const { ctx } = this;
    checkRole(p, 'admin', 'security');
    const why = checkReason(reason, 'revoke an API key');
    const at = new Date().toISOString();
    ctx.store.tx(() => {
      const k = this.rows.key(keyId);
      if (!k) throw new OpError('API_KEY_NOT_FOUND');
      if (k.revoked_at) return;
      this.rows.revokeKey(keyId, at);
      ctx.audit.append({ kind: EVENTS.API_KEY_REVOKED, actor: p.user, subject: `consumer:${k.consumer}`, data: { consumer: k.consumer, keyId, reason: why } });
    });
    return { keyId, revokedAt: at };
  }

  /** The key's consumer, if the key is well-formed, known, unexpired and unrevoked. */
  authenticate(key: string): { consumer: string; keyId: string } {
    const m = KEY_FORMAT.exec(key);
    if (!m) throw new OpError('API_KEY_INVALID');
    const k = this.rows.key(m[1]!);
    const given = Buffer.from(sha256(m[2]!), 'hex');
    const ok = !!k && timingSafeEqual(given, Buffer.from(k.secret_hash, 'hex'));
    if (!k || !ok || k.revoked_at || new Date(k.expires_at).getTime() <= Date.now()) throw new OpError('API_KEY_INVALID');
    if (this.consumer(k.consumer).state !== 'active') throw new OpError('API_KEY_INVALID');
    return { consumer: k.consumer, keyId: k.id };
  }

  grant(p: Principal, input: Record<string, unknown>): GrantView {
    const { ctx } = this;
    checkRole(p, 'admin');
    const consumer = typeof input?.consumer === 'string' ? this.consumer(input.consumer).id : bad('consumer is required');
    const product = typeof input.product === 'string' ? input.product : bad('product is required');
    const version = intIn(input.version, 'version', 1, 1_000_000);
    const v = this.rows.version(product, version);
    if (!v) throw new OpError('PRODUCT_NOT_FOUND', `no product version ${product.slice(0, 60)}/v${version}`);
    if (!SERVED_STATES.has(v.state)) throw new OpError('PRODUCT_TRANSITION', `version ${version} is ${v.state}: only an approved version can be granted`);
    const scenario = input.scenario === undefined ? v.scenario : input.scenario;
    if (scenario !== v.scenario) throw new OpError('PRODUCT_SCENARIO_MISMATCH', `this version was approved for the scenario "${v.scenario}"`);
    const validDays = intIn(input.days, 'days', 1, MAX_GRANT_DAYS, 365);
    const quotas = {
      perMinute: intIn(input.perMinute, 'perMinute', 1, 100_000, 60),
      perDay: intIn(input.perDay, 'perDay', 1, 10_000_000, 10_000),
      rowsPerDay: intIn(input.rowsPerDay, 'rowsPerDay', 1, 100_000_000, 100_000),
    };
    const id = `grt_${randomBytes(8).toString('hex')}`;
    // A grant ends with the authorization's term at the latest.
    const term = ctx.authorizations.get(v.tenant).termEnd;
    const validUntil = [days(validDays), term].sort()[0]!;
    ctx.store.tx(() => {
      this.rows.insertGrant({
        id,
        consumer,
        product,
        version,
        scenario: scenario as string,
        valid_until: validUntil,
        per_minute: quotas.perMinute,
        per_day: quotas.perDay,
        rows_per_day: quotas.rowsPerDay,
        created_by: p.user,
        created_at: new Date().toISOString(),
      });
      ctx.audit.append({
        kind: EVENTS.PRODUCT_GRANTED,
        actor: p.user,
        tenant: v.tenant,
        subject: `${product}/v${version}`,
        data: { grant: id, consumer, product, version, scenario, validUntil, ...quotas },
      });
    });
    return grantView(this.grantRow(id), this.usage(id));
  }

  grantRow(id: string): GrantRow {
    const g = this.rows.grant(id);
    if (!g) throw new OpError('GRANT_NOT_FOUND');
    return g;
  }

  revokeGrant(p: Principal, id: string, reason: unknown): GrantView {
    const { ctx } = this;
    checkRole(p, 'admin', 'security');
    const why = checkReason(reason, 'revoke a grant');
    ctx.store.tx(() => {
      const g = this.grantRow(id);
      if (g.revoked_at) return;
      this.rows.revokeGrant(id, new Date().toISOString());
      const tenant = this.rows.version(g.product, g.version)?.tenant ?? null;
      ctx.audit.append({
        kind: EVENTS.PRODUCT_GRANT_REVOKED,
        actor: p.user,
        tenant,
        subject: `${g.product}/v${g.version}`,
        data: { grant: id, consumer: g.consumer, reason: why },
      });
    });
    return grantView(this.grantRow(id), this.usage(id));
  }

  /** Grants with their quotas and today's use: the authority sees all, an operator those of its own products. */
  grantsFor(p: Principal, consumer?: string): GrantView[] {
    const all = this.grants(consumer);
    if (p.role !== 'operator') return all;
    const own = new Set(p.tenant ? this.rows.productsOf(p.tenant) : []);
    return all.filter((g) => own.has(g.product));
  }

  grants(consumer?: string): GrantView[] {
    const rows = this.rows.grants(consumer);
    const used = this.usageOf();
    return rows.map((g) => grantView(g, used(g.id)));
  }

  private usage(grant: string): GrantView['usage'] {
    return this.usageOf(grant)(grant);
  }

  /** This minute's and today's counters, read at once (of one grant, or of all). */
  private usageOf(grant?: string): (id: string) => GrantView['usage'] {
    const iso = new Date().toISOString();
    const minute = `m:${iso.slice(0, 16)}`;
    const day = `d:${iso.slice(0, 10)}`;
    const rows = this.rows.usage([minute, day], grant);
    const at = new Map(rows.map((r) => [`${r.grant_id}\u0001${r.period}`, r]));
    return (id) => ({
      callsThisMinute: at.get(`${id}\u0001${minute}`)?.calls ?? 0,
      callsToday: at.get(`${id}\u0001${day}`)?.calls ?? 0,
      rowsToday: at.get(`${id}\u0001${day}`)?.row_count ?? 0,
    });
  }

  /** The consumer's live grant of a version, if any. */
  liveGrant(consumer: string, product: string, version: number): GrantRow | undefined {
    return this.rows.liveGrant(consumer, product, version, new Date().toISOString());
  }

  /** What this consumer is granted now (GET /products). */
  liveGrants(consumer: string): GrantRow[] {
    return this.rows.liveGrants(consumer, new Date().toISOString());
  }
}
