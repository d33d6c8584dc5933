// Data demand lists (R20): an operator files the datasets and fields its authorization needs,
// each item with the scenario that justifies it; reviewers decide item by item (an item of data
// owned above the authorization's level waits for a province reviewer); once every item is
// decided, an administrator applies the approved ones to the authorization's grants. Who may act
// is the table's (authority/demands.ts); every step commits with its audit event.
import { randomUUID } from 'node:crypto';
import { DEMANDS, LEVELS, needsProvinceConsent, type DemandAction, type DemandState, type Level } from '../authority/index.ts';
import { findDataset, isGrantable } from '../datasets/index.ts';
import { OpError } from '../errors/index.ts';
import { EVENTS } from '../lineage/index.ts';
import type { DomainContext } from './context.ts';
import { canSeeTenant, checkRole, type Principal } from './principal.ts';

export interface DemandItem {
  readonly dataset: string;
  /** Fields asked for; omitted = every grantable field. */
  readonly fields?: readonly string[];
  readonly scenario: string;
  readonly justification: string;
  /** The province must consent (the data's owner sits above the authorization). */
  readonly provinceConsent: boolean;
  readonly decision: { readonly outcome: 'approve' | 'refuse'; readonly reason: string; readonly by: string; readonly at: string } | null;
}

export interface DemandView {
  readonly id: string;
  readonly tenant: string;
  readonly filedBy: string;
  readonly state: DemandState;
  readonly items: readonly DemandItem[];
  readonly actions: readonly DemandAction[];
  readonly createdAt: string;
  readonly updatedAt: string;
}

interface DemandRow {
  id: string;
  tenant: string;
  filed_by: string;
  state: DemandState;
  items: string;
  created_at: string;
  updated_at: string;
  applied_by: string | null;
}

const MAX_ITEMS = 50;

export class DemandService {
  constructor(private readonly ctx: DomainContext) {}

  file(p: Principal, input: { items?: unknown }): DemandView {
    const { ctx } = this;
    checkRole(p, 'operator');
    const tenant = p.tenant!;
    const auth = ctx.authorizations.get(tenant);
    if (!['pending', 'active'].includes(auth.state)) throw new OpError('TENANT_NOT_ACTIVE');
    const level = ctx.authorizations.levelOf(tenant) as Level;
    if (!Array.isArray(input?.items) || input.items.length === 0 || input.items.length > MAX_ITEMS)
      throw new OpError('BAD_REQUEST', `items must list 1 to ${MAX_ITEMS} datasets`);
    const items: DemandItem[] = input.items.map((raw: unknown, i: number) => {
      const it = (raw ?? {}) as Record<string, unknown>;
      const ds = typeof it.dataset === 'string' ? findDataset(it.dataset) : undefined;
      if (!ds) throw new OpError('DATASET_NOT_FOUND', `items[${i}]: name a dataset of the catalog`);
      const fields =
        it.fields === undefined
          ? undefined
          : Array.isArray(it.fields) && it.fields.length > 0 && it.fields.every((f) => typeof f === 'string' && ds.fields.some((x) => x.name === f))
            ? (it.fields as string[])
            : null;
      if (fields === null) throw new OpError('BAD_REQUEST', `items[${i}]: fields must name fields of ${ds.id}`);
      const refused = (fields ?? []).filter((f) => !isGrantable(ds.fields.find((x) => x.name === f)!));
      if (fields && refused.length > 0) throw new OpError('DATASET_NOT_GRANTABLE', `items[${i}]: ${refused.join(', ')} can never be granted`);
      if (typeof it.scenario !== 'string' || !auth.scenarios.includes(it.scenario))
        throw new OpError('EXPORT_SCENARIO_NOT_GRANTED', `items[${i}]: the scenario must be one of this authorization's`);
      if (typeof it.justification !== 'string' || it.justification.trim().length < 10 || it.justification.length > 2000)
        throw new OpError('BAD_REQUEST', `items[${i}]: say why the scenario needs it (10 to 2000 characters)`);
      return {
        dataset: ds.id,
        ...(fields ? { fields } : {}),
        scenario: it.scenario,
        justification: it.justification.trim(),
        provinceConsent: needsProvinceConsent(ds.level ?? 'province', level),
        decision: null,
      };
    });
    const id = `dmd_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
    const at = new Date().toISOString();
    ctx.store.tx(() => {
      ctx.store.run(
        "INSERT INTO demand_lists (id, tenant, filed_by, state, items, created_at, updated_at) VALUES (?, ?, ?, 'submitted', ?, ?, ?)",
        id,
        tenant,
        p.user,
        JSON.stringify(items),
        at,
        at,
      );
      ctx.audit.append({
        kind: EVENTS.DEMAND_FILED,
        actor: p.user,
        tenant,
        subject: id,
        data: { items: items.map((x) => ({ dataset: x.dataset, fields: x.fields ?? '*', scenario: x.scenario, provinceConsent: x.provinceConsent })) },
      });
    });
    return this.get(p, id);
  }

  /** A reviewer decides one item; the last decision makes the list decided. */
  decide(p: Principal, id: string, index: number, outcome: 'approve' | 'refuse', reason: unknown): DemandView {
    const { ctx } = this;
    if (outcome !== 'approve' && outcome !== 'refuse') throw new OpError('BAD_REQUEST', 'decide approve or refuse');
    const why = typeof reason === 'string' ? reason.trim() : '';
    if (outcome === 'refuse' && (why.length < 10 || why.length > 2000)) throw new OpError('BAD_REQUEST', 'a refused item says why (10 to 2000 characters)');
    ctx.store.tx(() => {
      const r = this.row(p, id);
      const items = JSON.parse(r.items) as DemandItem[];
      const item = Number.isInteger(index) ? items[index] : undefined;
      if (!item) throw new OpError('BAD_REQUEST', `the list has no item ${index}`);
      const last = items.filter((x) => !x.decision).length === 1 && !item.decision;
      const to = DEMANDS.check(r.state, last ? 'decide_last' : 'decide_item', p, r.filed_by);
      if (item.decision) throw new OpError('DEMAND_TRANSITION', `item ${index} is decided already`);
      if (item.provinceConsent && this.levelOf(p) !== 'province') throw new OpError('DEMAND_NEEDS_PROVINCE');
      const decided = { ...item, decision: { outcome, reason: why, by: p.user, at: new Date().toISOString() } };
      const next = items.map((x, i) => (i === index ? decided : x));
      ctx.store.run('UPDATE demand_lists SET items = ?, state = ?, updated_at = ? WHERE id = ?', JSON.stringify(next), to, new Date().toISOString(), id);
      ctx.audit.append({
        kind: EVENTS.DEMAND_ITEM_DECIDED,
        actor: p.user,
        tenant: r.tenant,
        subject: id,
        data: { index, dataset: item.dataset, outcome, provinceConsent: item.provinceConsent },
      });
      if (to !== r.state) ctx.audit.append({ kind: EVENTS.DEMAND_CHANGED, actor: p.user, tenant: r.tenant, subject: id, data: { from: r.state, to } });
    });
    return this.get(p, id);
  }

  /** An administrator applies the approved items to the authorization's grants (the next build delivers them). */
  apply(p: Principal, id: string): DemandView {
    const { ctx } = this;
    const r = this.row(p, id);
    DEMANDS.check(r.state, 'apply', p, r.filed_by);
    const approved = (JSON.parse(r.items) as DemandItem[]).filter((x) => x.decision?.outcome === 'approve');
    const justification: Record<string, string[]> = {};
    for (const it of approved) {
      for (const f of it.fields ?? ['*']) {
        const key = `${it.dataset}.${f}`;
        justification[key] ??= [];
        justification[key].push(it.scenario);
      }
    }
    ctx.store.tx(() => {
      const cur = this.row(p, id);
      const to = DEMANDS.check(cur.state, 'apply', p, cur.filed_by);
      if (approved.length > 0)
        ctx.authorizations.addGrants(
          r.tenant,
          approved.map((x) => ({ dataset: x.dataset, ...(x.fields ? { fields: x.fields } : {}) })),
          justification,
          p.user,
          `demand list ${id}`,
        );
      ctx.store.run('UPDATE demand_lists SET state = ?, applied_by = ?, updated_at = ? WHERE id = ?', to, p.user, new Date().toISOString(), id);
      ctx.audit.append({ kind: EVENTS.DEMAND_CHANGED, actor: p.user, tenant: r.tenant, subject: id, data: { from: cur.state, to, applied: approved.length } });
    });
    return this.get(p, id);
  }

  withdraw(p: Principal, id: string): DemandView {
    const { ctx } = this;
    ctx.store.tx(() => {
      const r = this.row(p, id);
      const to = DEMANDS.check(r.state, 'withdraw', p, r.filed_by);
      ctx.store.run('UPDATE demand_lists SET state = ?, updated_at = ? WHERE id = ?', to, new Date().toISOString(), id);
      ctx.audit.append({ kind: EVENTS.DEMAND_CHANGED, actor: p.user, tenant: r.tenant, subject: id, data: { from: r.state, to } });
    });
    return this.get(p, id);
  }

  get(p: Principal, id: string): DemandView {
    return this.view(p, this.row(p, id));
  }

  list(p: Principal, tenant?: string): DemandView[] {
    const t = p.role === 'operator' ? p.tenant : tenant;
    const rows = t
      ? this.ctx.store.all<DemandRow>('SELECT * FROM demand_lists WHERE tenant = ? ORDER BY created_at DESC LIMIT 500', t)
      : this.ctx.store.all<DemandRow>('SELECT * FROM demand_lists ORDER BY created_at DESC LIMIT 500');
    return rows.filter((r) => canSeeTenant(p, r.tenant)).map((r) => this.view(p, r));
  }

  private levelOf(p: Principal): Level {
    const l = this.ctx.people.levelOf(p.user);
    return (LEVELS as readonly string[]).includes(l) ? (l as Level) : 'province';
  }

  private row(p: Principal, id: string): DemandRow {
    const r = this.ctx.store.get<DemandRow>('SELECT * FROM demand_lists WHERE id = ?', id);
    if (!r || !canSeeTenant(p, r.tenant)) throw new OpError('DEMAND_NOT_FOUND');
    return r;
  }

  private view(p: Principal, r: DemandRow): DemandView {
    const items = JSON.parse(r.items) as DemandItem[];
    const open = items.filter((x) => !x.decision).length;
    const actions = DEMANDS.actions(r.state, p, r.filed_by).map((a) => (a === 'decide_last' ? 'decide_item' : a));
    return {
      id: r.id,
      tenant: r.tenant,
      filedBy: r.filed_by,
      state: r.state,
      items,
      actions: [...new Set(actions)].filter((a) => a !== 'decide_item' || open > 0),
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    };
  }
}
