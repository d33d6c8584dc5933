// Records the rules ask the domain to keep: emergency drills per authorization (R29: date,
// scenario, participants, findings; an authorization without a drill in twelve months is flagged)
// and pre-job training per person (R22: course, date, expiry; a condition for acting where the
// domain requires it). Records are appended, never edited; each commits with its audit event.
import { randomUUID } from 'node:crypto';
import { OpError } from '../errors/index.ts';
import { EVENTS } from '../lineage/index.ts';
import type { DomainContext } from './context.ts';
import { checkRole, checkTenantScope, canSeeTenant, type Principal } from './principal.ts';

export interface Drill {
  readonly id: string;
  readonly tenant: string;
  readonly heldOn: string;
  readonly scenario: string;
  readonly participants: readonly string[];
  readonly findings: string;
  readonly recordedBy: string;
  readonly recordedAt: string;
}

export interface Training {
  readonly id: string;
  readonly person: string;
  readonly course: string;
  readonly takenOn: string;
  readonly expiresOn: string;
  readonly recordedBy: string;
}

/** A drill older than this leaves the authorization flagged. */
export const DRILL_INTERVAL_DAYS = 365;

const text = (v: unknown, what: string, min = 3, max = 4000): string => {
  if (typeof v !== 'string' || v.trim().length < min || v.length > max)
    throw new OpError('BAD_REQUEST', `${what} must be a text of ${min} to ${max} characters`);
  return v.trim();
};

function day(v: unknown, what: string): string {
  const d = typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) ? new Date(`${v}T00:00:00Z`) : new Date(NaN);
  if (Number.isNaN(d.getTime())) throw new OpError('BAD_REQUEST', `${what} must be a date (YYYY-MM-DD)`);
  return v as string;
}

export class RecordsService {
  constructor(private readonly ctx: DomainContext) {}

  /** An administrator, or an operator of the authorization, records a drill held (not one to come). */
  recordDrill(p: Principal, tenant: string, input: { heldOn?: unknown; scenario?: unknown; participants?: unknown; findings?: unknown }): Drill {
    const { ctx } = this;
    checkRole(p, 'admin', 'operator');
    checkTenantScope(p, tenant);
    ctx.authorizations.get(tenant);
    const heldOn = day(input?.heldOn, 'heldOn');
    if (heldOn > new Date().toISOString().slice(0, 10)) throw new OpError('BAD_REQUEST', 'a drill is recorded once it has been held');
    const participants = Array.isArray(input.participants) ? input.participants.map((x) => text(x, 'a participant', 1, 100)) : [];
    if (participants.length === 0 || participants.length > 100) throw new OpError('BAD_REQUEST', 'participants must list 1 to 100 people');
    const id = `drl_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
    const scenario = text(input.scenario, 'scenario');
    const findings = text(input.findings, 'findings');
    ctx.store.tx(() => {
      ctx.store.run(
        'INSERT INTO drills (id, tenant, held_on, scenario, participants, findings, recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        id,
        tenant,
        heldOn,
        scenario,
        JSON.stringify(participants),
        findings,
        p.user,
        new Date().toISOString(),
      );
      ctx.audit.append({ kind: EVENTS.DRILL_RECORDED, actor: p.user, tenant, subject: id, data: { heldOn, participants: participants.length } });
    });
    return this.drills(p, tenant).find((d) => d.id === id)!;
  }

  drills(p: Principal, tenant: string): Drill[] {
    if (!canSeeTenant(p, tenant)) throw new OpError('FORBIDDEN_TENANT');
    return this.ctx.store
      .all<{ id: string; tenant: string; held_on: string; scenario: string; participants: string; findings: string; recorded_by: string; recorded_at: string }>(
        'SELECT * FROM drills WHERE tenant = ? ORDER BY held_on DESC',
        tenant,
      )
      .map((r) => ({
        id: r.id,
        tenant: r.tenant,
        heldOn: r.held_on,
        scenario: r.scenario,
        participants: JSON.parse(r.participants) as string[],
        findings: r.findings,
        recordedBy: r.recorded_by,
        recordedAt: r.recorded_at,
      }));
  }

  /** The date of the authorization's last drill, and whether it is older than the interval (or missing). */
  drillStatus(tenant: string, now = new Date()): { lastDrill: string | null; drillOverdue: boolean } {
    const last = this.ctx.store.get<{ d: string | null }>('SELECT max(held_on) AS d FROM drills WHERE tenant = ?', tenant)?.d ?? null;
    const limit = new Date(now.getTime() - DRILL_INTERVAL_DAYS * 86_400_000).toISOString().slice(0, 10);
    return { lastDrill: last, drillOverdue: last === null || last < limit };
  }

  recordTraining(p: Principal, person: string, input: { course?: unknown; takenOn?: unknown; expiresOn?: unknown }): Training {
    const { ctx } = this;
    checkRole(p, 'admin');
    if (!ctx.people.get(person)) throw new OpError('USER_NOT_FOUND');
    const course = text(input?.course, 'course');
    const takenOn = day(input.takenOn, 'takenOn');
    const expiresOn = day(input.expiresOn, 'expiresOn');
    if (expiresOn <= takenOn) throw new OpError('BAD_REQUEST', 'expiresOn must be after takenOn');
    const id = `trn_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
    ctx.people.recordTraining({ id, person, course, takenOn, expiresOn }, p.user);
    return { id, person, course, takenOn, expiresOn, recordedBy: p.user };
  }

  trainings(p: Principal, person: string): Training[] {
    const who = this.ctx.people.get(person);
    if (!who || (p.role === 'operator' && who.tenant !== p.tenant)) throw new OpError('USER_NOT_FOUND');
    return this.ctx.store
      .all<{ id: string; person: string; course: string; taken_on: string; expires_on: string; recorded_by: string }>(
        'SELECT * FROM trainings WHERE person = ? ORDER BY expires_on DESC',
        person,
      )
      .map((r) => ({ id: r.id, person: r.person, course: r.course, takenOn: r.taken_on, expiresOn: r.expires_on, recordedBy: r.recorded_by }));
  }

  /** Administrators decide whether pre-job training is a condition for acting in this domain. */
  setTrainingRequired(p: Principal, on: boolean): { requireTraining: boolean } {
    checkRole(p, 'admin');
    this.ctx.people.setRequiresTraining(on, p.user);
    return { requireTraining: this.ctx.people.requiresTraining() };
  }
}
