// The domain's side of the private set intersection (R14; ECDH-PSI over ristretto255,
// semi-honest). A session has a fresh domain secret. The operator's client sends its identifiers
// blinded with its own secret; the domain raises them to its secret and keeps them, and sends
// back the public side's identifiers blinded with its secret; the client raises those to its
// secret and returns them in order. Equal doubly-blinded elements are the intersection, which the
// domain alone can map to its rows: it becomes a table of tokens in the operator's files (an own
// dataset at join-key level), never a list the operator sees. Every message carries a MAC bound
// to the session and the step; a replayed, reordered or altered one is refused.
import { randomBytes, randomUUID, createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { findDataset, ownDatasetId, type DatasetSpec } from '../datasets/index.ts';
import { OpError } from '../errors/index.ts';
import { EVENTS } from '../lineage/index.ts';
import { blindAll, checkMac, messageMac, randomScalar } from '../privacy/index.ts';
import type { DomainContext } from './context.ts';
import type { ImportService } from './importService.ts';
import { checkRole, checkTenantScope, type Principal } from './principal.ts';

/** The largest set a client may send; the public side is what the catalog holds. */
export const PSI_MAX_CLIENT = 1_000_000;
const NAME = /^[a-z][a-z0-9_]{0,30}$/;
const ELEMENT = /^[A-Za-z0-9_-]{43}$/;

type PsiState = 'started' | 'blinded' | 'finished' | 'failed';
interface PsiRow {
  id: string;
  tenant: string;
  user: string;
  name: string;
  against: string;
  state: PsiState;
  mac_key: string | null;
  scalar: string | null;
  reveal_size: number;
  client_cap: number;
  client_size: number | null;
  domain_size: number | null;
  domain_digest: string | null;
  matched: number | null;
  dataset: string | null;
  error: string | null;
  created_at: string;
  updated_at: string;
}

/** What anyone sees of a session: sizes, state, the result table's name; never an element or a secret. */
export interface PsiView {
  readonly id: string;
  readonly tenant: string;
  readonly name: string;
  readonly against: string;
  readonly state: PsiState;
  readonly clientSize: number | null;
  readonly domainSize: number | null;
  /** Only when the session was opened with revealSize. */
  readonly matched?: number;
  readonly dataset: string;
  readonly createdAt: string;
}

export class PsiService {
  constructor(
    private readonly ctx: DomainContext,
    private readonly imports: ImportService,
  ) {}

  private row(id: unknown): PsiRow {
    const r = typeof id === 'string' ? this.ctx.store.get<PsiRow>('SELECT * FROM psi_sessions WHERE id = ?', id) : undefined;
    if (!r) throw new OpError('PSI_NOT_FOUND', `no private set intersection session "${String(id).slice(0, 64)}"`);
    return r;
  }

  private view(r: PsiRow): PsiView {
    return {
      id: r.id,
      tenant: r.tenant,
      name: r.name,
      against: r.against,
      state: r.state,
      clientSize: r.client_size,
      domainSize: r.domain_size,
      ...(r.reveal_size && r.matched !== null ? { matched: r.matched } : {}),
      dataset: ownDatasetId(r.tenant, `psi_${r.name}`),
      createdAt: r.created_at,
    };
  }

  private path(r: PsiRow): string {
    return join(dirname(this.ctx.paths.ownRaw(r.tenant)), 'psi', `${r.id}.elements`);
  }

  /** Refusals are audited with the session, then thrown. */
  private refuse(r: PsiRow, p: Principal, err: OpError): never {
    this.ctx.audit.append({ kind: EVENTS.PSI_REFUSED, actor: p.user, tenant: r.tenant, subject: r.id, data: { code: err.code, state: r.state } });
    throw err;
  }

  private checkOwner(r: PsiRow, p: Principal, step: PsiState): void {
    checkTenantScope(p, r.tenant);
    if (p.user !== r.user) throw new OpError('FORBIDDEN_ROLE', 'only the operator who opened the session may continue it');
    if (r.state !== step)
      this.refuse(r, p, new OpError('PSI_TRANSITION', `the session is ${r.state}; this message belongs to another step (replayed or out of order)`));
  }

  /** The public side: one catalog field that identifies people, read from the raw store in a fixed order. */
  private async publicIds(against: string, count: true): Promise<number>;
  private async publicIds(against: string): Promise<string[]>;
  private async publicIds(against: string, count?: true): Promise<string[] | number> {
    const [table, column] = against.split('.');
    const ids = `SELECT DISTINCT upper(trim("${column}")) AS v FROM "${table}" WHERE "${column}" IS NOT NULL`;
    const db = await DuckDBInstance.create(this.ctx.paths.rawDb, { access_mode: 'READ_ONLY' });
    const con = await db.connect();
    try {
      if (count) return Number((await con.runAndReadAll(`SELECT count(*)::BIGINT FROM (${ids})`)).getRows()[0]![0]);
      return (await con.runAndReadAll(`${ids} ORDER BY v`)).getRows().map((x) => String(x[0]));
    } finally {
      con.closeSync();
      db.closeSync();
    }
  }

  /** Opens a session; the MAC key is returned once, to the operator's client. */
  async start(
    p: Principal,
    input: { tenant?: unknown; name?: unknown; against?: unknown; revealSize?: unknown; maxClientSize?: unknown },
  ): Promise<PsiView & { key: string; maxClientSize: number }> {
    checkRole(p, 'operator');
    const tenant = String(input.tenant ?? p.tenant ?? '');
    checkTenantScope(p, tenant);
    this.ctx.authorizations.checkOperable(tenant);
    const name = String(input.name ?? 'intersection');
    if (!NAME.test(name)) throw new OpError('BAD_REQUEST', `name must match ${NAME.source}`);
    const against = String(input.against ?? 'population.id_card');
    const [table, column] = against.split('.');
    const field = findDataset(table ?? '')?.fields.find((f) => f.name === column);
    if (field?.role !== 'direct_identifier' || findDataset(table!)?.unit?.field !== column)
      throw new OpError('BAD_REQUEST', 'against must name the unit-of-privacy field of a public dataset (e.g. population.id_card)');
    if (!this.ctx.authorizations.get(tenant).grants.some((g) => g.dataset === table))
      throw new OpError('DATASET_NOT_GRANTABLE', `${tenant} is not granted ${table}`);
    const cap = input.maxClientSize === undefined ? PSI_MAX_CLIENT : Number(input.maxClientSize);
    if (!Number.isInteger(cap) || cap < 1 || cap > PSI_MAX_CLIENT)
      throw new OpError('BAD_REQUEST', `maxClientSize must be an integer from 1 to ${PSI_MAX_CLIENT}`);
    const id = `psi_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
    const key = randomBytes(32);
    const now = new Date().toISOString();
    this.ctx.store.tx(() => {
      this.ctx.store.run(
        'INSERT INTO psi_sessions (id, tenant, user, name, against, state, mac_key, scalar, reveal_size, client_cap, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        id,
        tenant,
        p.user,
        name,
        against,
        'started',
        key.toString('base64url'),
        randomScalar().toString(16),
        input.revealSize === true ? 1 : 0,
        cap,
        now,
        now,
      );
      this.ctx.audit.append({
        kind: EVENTS.PSI_STARTED,
        actor: p.user,
        tenant,
        subject: id,
        data: { name, against, revealSize: input.revealSize === true, maxClientSize: cap },
      });
    });
    // Only the size at the start: the identifiers themselves are read when they are blinded.
    const domainSize = await this.publicIds(against, true);
    this.ctx.store.run('UPDATE psi_sessions SET domain_size = ? WHERE id = ?', domainSize, id);
    return { ...this.view(this.row(id)), key: key.toString('base64url'), maxClientSize: cap };
  }

  /** Step 2: the client's blinded set in; the public side, blinded with the session's secret, out. */
  async blinded(p: Principal, id: unknown, body: { elements?: unknown; mac?: unknown }): Promise<{ elements: string[]; mac: string }> {
    const r = this.row(id);
    this.checkOwner(r, p, 'started');
    const elements = Array.isArray(body.elements) ? (body.elements as unknown[]) : [];
    if (elements.length > r.client_cap)
      this.refuse(r, p, new OpError('PSI_TOO_LARGE', `the set has ${elements.length} elements; this session takes at most ${r.client_cap}`));
    const key = Buffer.from(r.mac_key!, 'base64url');
    try {
      checkMac(key, r.id, 'blinded', elements as string[], body.mac);
    } catch (err) {
      this.refuse(r, p, err as OpError);
    }
    const k = BigInt(`0x${r.scalar!}`);
    let theirs: string[];
    try {
      theirs = await blindAll('point', elements as string[], k);
    } catch (err) {
      this.refuse(r, p, err instanceof OpError ? err : new OpError('PSI_INVALID_ELEMENT', String((err as Error).message)));
    }
    const ids = await this.publicIds(r.against);
    const out = await blindAll('hash', ids, k);
    const digest = createHash('sha256').update(ids.join('\n')).digest('hex');
    mkdirSync(dirname(this.path(r)), { recursive: true });
    writeFileSync(this.path(r), theirs!.join('\n'));
    this.ctx.store.tx(() => {
      this.ctx.store.run(
        "UPDATE psi_sessions SET state = 'blinded', client_size = ?, domain_size = ?, domain_digest = ?, updated_at = ? WHERE id = ?",
        elements.length,
        ids.length,
        digest,
        new Date().toISOString(),
        r.id,
      );
      this.ctx.audit.append({
        kind: EVENTS.PSI_STEP,
        actor: p.user,
        tenant: r.tenant,
        subject: r.id,
        data: { step: 'blinded', clientSize: elements.length, domainSize: ids.length },
      });
    });
    return { elements: out, mac: messageMac(key, r.id, 'reply', out) };
  }

  /**
   * Step 3: the public side raised to the client's secret, in the domain's order. The matches
   * become the table own_<tenant>_psi_<name> (tokens, join-key level) in the operator's files;
   * the session's secrets and elements are erased whatever happens.
   */
  async finish(p: Principal, id: unknown, body: { elements?: unknown; mac?: unknown }): Promise<PsiView> {
    const r = this.row(id);
    this.checkOwner(r, p, 'blinded');
    const elements = Array.isArray(body.elements) ? (body.elements as unknown[]) : [];
    const key = Buffer.from(r.mac_key!, 'base64url');
    try {
      checkMac(key, r.id, 'finish', elements as string[], body.mac);
      if (elements.length !== r.domain_size)
        throw new OpError('PSI_INVALID_ELEMENT', `expected ${r.domain_size} elements in the domain's order, got ${elements.length}`);
      // Only compared with canonical encodings, never multiplied: the shape is all that must hold
      // (a string that is no group element matches nothing).
      elements.forEach((e, i) => {
        if (typeof e !== 'string' || !ELEMENT.test(e)) throw new OpError('PSI_INVALID_ELEMENT', `element ${i} is not a 32-byte group element`);
      });
    } catch (err) {
      this.refuse(r, p, err as OpError);
    }
    // The client's answer is H(y)^(b·a); its own set, raised by the domain, is H(x)^(a·b). The
    // encoding is canonical, so equal encodings are equal elements.
    const mine = new Set(readFileSync(this.path(r), 'utf8').split('\n').filter(Boolean));
    const ids = await this.publicIds(r.against);
    const erase = () => {
      rmSync(this.path(r), { force: true });
      this.ctx.store.run('UPDATE psi_sessions SET mac_key = NULL, scalar = NULL, updated_at = ? WHERE id = ?', new Date().toISOString(), r.id);
    };
    if (createHash('sha256').update(ids.join('\n')).digest('hex') !== r.domain_digest) {
      erase();
      this.ctx.store.run("UPDATE psi_sessions SET state = 'failed', error = ? WHERE id = ?", 'the public side changed during the session', r.id);
      this.refuse(r, p, new OpError('PSI_TRANSITION', 'the public data changed during the session; start a new one'));
    }
    const matched = ids.filter((_, i) => mine.has(elements[i] as string));
    const spec = this.resultSpec(r);
    const file = this.ctx.paths.ownStaging(r.tenant, r.id, 'csv');
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${['id_card', ...matched].join('\n')}\n`);
    erase();
    try {
      await this.imports.installDerived(p, {
        tenant: r.tenant,
        spec,
        file,
        scenario: this.ctx.authorizations.get(r.tenant).scenarios[0]!,
        source: `psi ${r.id}`,
      });
    } catch (err) {
      rmSync(file, { force: true });
      this.ctx.store.run(
        "UPDATE psi_sessions SET state = 'failed', error = ?, updated_at = ? WHERE id = ?",
        (err as Error).message.slice(0, 300),
        new Date().toISOString(),
        r.id,
      );
      throw err;
    }
    this.ctx.store.tx(() => {
      this.ctx.store.run(
        "UPDATE psi_sessions SET state = 'finished', matched = ?, dataset = ?, updated_at = ? WHERE id = ?",
        matched.length,
        spec.id,
        new Date().toISOString(),
        r.id,
      );
      this.ctx.audit.append({
        kind: EVENTS.PSI_FINISHED,
        actor: p.user,
        tenant: r.tenant,
        subject: r.id,
        data: { clientSize: r.client_size, domainSize: r.domain_size, matched: matched.length, dataset: spec.id },
      });
    });
    return this.view(this.row(r.id));
  }

  /** The intersection as a dataset: public people's identifiers, tokenized, joinable, never shown. */
  private resultSpec(r: PsiRow): DatasetSpec {
    return {
      id: ownDatasetId(r.tenant, `psi_${r.name}`),
      title: { zh: `隐私求交结果 ${r.name}`, en: `private set intersection ${r.name}` },
      department: `private set intersection of ${r.tenant}`,
      updateFrequency: 'irregular',
      grade: 'general',
      openness: 'conditional',
      owner: r.tenant,
      unit: { kind: 'person', field: 'id_card' },
      sampleKey: 'id_card',
      fields: [
        {
          name: 'id_card',
          type: 'VARCHAR',
          description: `people of ${r.against} also in the operator's set`,
          category: 'personal',
          grade: 'general',
          openness: 'conditional',
          role: 'direct_identifier',
          mask: { op: 'token', params: { scope: 'person' } },
          required: true,
          usage: { sandbox: 'join_key', export: 'join_key' },
        },
      ],
    };
  }

  show(p: Principal, id: unknown): PsiView {
    const r = this.row(id);
    checkTenantScope(p, r.tenant);
    return this.view(r);
  }

  list(p: Principal, tenant?: string): PsiView[] {
    const t = p.role === 'operator' ? p.tenant : (tenant ?? null);
    return this.ctx.store
      .all<PsiRow>('SELECT * FROM psi_sessions WHERE (? IS NULL OR tenant = ?) ORDER BY created_at DESC LIMIT 200', t, t)
      .map((r) => this.view(r));
  }
}
