// Outside consumers of data products, their API keys and their grants: every statement of the
// consumer aggregate, with typed rows (the versions' own rows are read only for what a grant
// needs of them). The service (services/consumerService.ts) checks roles and decides.
import type { ProductState } from '../../products/index.ts';
import type { Store } from '../../store/index.ts';

export interface ConsumerRow {
  id: string;
  name: string;
  contact: string;
  state: string;
  created_by: string;
  created_at: string;
}

export interface KeyRow {
  id: string;
  consumer: string;
  secret_hash: string;
  created_by: string;
  created_at: string;
  expires_at: string;
  revoked_at: string | null;
}

export interface GrantRow {
  id: string;
  consumer: string;
  product: string;
  version: number;
  scenario: string;
  valid_until: string;
  per_minute: number;
  per_day: number;
  rows_per_day: number;
  created_by: string;
  created_at: string;
  revoked_at: string | null;
}

export interface UsageRow {
  grant_id: string;
  period: string;
  calls: number;
  row_count: number;
}

export type NewGrant = Omit<GrantRow, 'revoked_at'>;

export class ConsumerRepository {
  constructor(private readonly store: Store) {}

  consumer(id: string): ConsumerRow | undefined {
    return this.store.get<ConsumerRow>('SELECT * FROM consumers WHERE id = ?', id);
  }

  consumers(): ConsumerRow[] {
    return this.store.all<ConsumerRow>('SELECT * FROM consumers ORDER BY created_at');
  }

  insertConsumer(c: Omit<ConsumerRow, 'state'>): void {
    this.store.run(
      "INSERT INTO consumers (id, name, contact, state, created_by, created_at) VALUES (?, ?, ?, 'active', ?, ?)",
      c.id,
      c.name,
      c.contact,
      c.created_by,
      c.created_at,
    );
  }

  revokeConsumer(id: string): void {
    this.store.run("UPDATE consumers SET state = 'revoked' WHERE id = ?", id);
  }

  key(id: string): KeyRow | undefined {
    return this.store.get<KeyRow>('SELECT * FROM api_keys WHERE id = ?', id);
  }

  keys(): KeyRow[] {
    return this.store.all<KeyRow>('SELECT * FROM api_keys ORDER BY created_at');
  }

  insertKey(k: Omit<KeyRow, 'revoked_at'>): void {
    this.store.run(
      'INSERT INTO api_keys (id, consumer, secret_hash, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
      k.id,
      k.consumer,
      k.secret_hash,
      k.created_by,
      k.created_at,
      k.expires_at,
    );
  }

  revokeKey(id: string, at: string): void {
    this.store.run('UPDATE api_keys SET revoked_at = ? WHERE id = ?', at, id);
  }

  grant(id: string): GrantRow | undefined {
    return this.store.get<GrantRow>('SELECT * FROM product_grants WHERE id = ?', id);
  }

  /** Every grant, or one consumer's, oldest first. */
  grants(consumer?: string): GrantRow[] {
    return consumer
      ? this.store.all<GrantRow>('SELECT * FROM product_grants WHERE consumer = ? ORDER BY created_at', consumer)
      : this.store.all<GrantRow>('SELECT * FROM product_grants ORDER BY created_at');
  }

  insertGrant(g: NewGrant): void {
    this.store.run(
      'INSERT INTO product_grants (id, consumer, product, version, scenario, valid_until, per_minute, per_day, rows_per_day, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      g.id,
      g.consumer,
      g.product,
      g.version,
      g.scenario,
      g.valid_until,
      g.per_minute,
      g.per_day,
      g.rows_per_day,
      g.created_by,
      g.created_at,
    );
  }

  revokeGrant(id: string, at: string): void {
    this.store.run('UPDATE product_grants SET revoked_at = ? WHERE id = ?', at, id);
  }

  /** The consumer's newest grant of a version that is neither revoked nor past its term at `now`. */
  liveGrant(consumer: string, product: string, version: number, now: string): GrantRow | undefined {
    return this.store.get<GrantRow>(
      'SELECT * FROM product_grants WHERE consumer = ? AND product = ? AND version = ? AND revoked_at IS NULL AND valid_until > ? ORDER BY created_at DESC LIMIT 1',
      consumer,
      product,
      version,
      now,
    );
  }

  liveGrants(consumer: string, now: string): GrantRow[] {
    return this.store.all<GrantRow>(
      'SELECT * FROM product_grants WHERE consumer = ? AND revoked_at IS NULL AND valid_until > ? ORDER BY product, version',
      consumer,
      now,
    );
  }

  /** Counters of the given periods (a minute's and a day's), of one grant or of all. */
  usage(periods: readonly [string, string], grant?: string): UsageRow[] {
    return this.store.all<UsageRow>(
      `SELECT grant_id, period, calls, row_count FROM product_usage WHERE period IN (?, ?)${grant ? ' AND grant_id = ?' : ''}`,
      periods[0],
      periods[1],
      ...(grant ? [grant] : []),
    );
  }

  /** What a grant needs of a product version: its state, scenario and authorization. */
  version(product: string, version: number): { state: ProductState; scenario: string; tenant: string } | undefined {
    return this.store.get('SELECT state, scenario, tenant FROM product_versions WHERE product = ? AND version = ?', product, version);
  }

  /** The products an authorization has proposed (an operator sees their grants). */
  productsOf(tenant: string): string[] {
    return this.store.all<{ product: string }>('SELECT DISTINCT product FROM product_versions WHERE tenant = ?', tenant).map((r) => r.product);
  }
}
