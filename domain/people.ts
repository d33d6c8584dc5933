// People of the domain: every user is registered with a role, a tenant scope (operators),
// real-name verification and a confidentiality agreement with its term (R22).
import { OpError } from '../errors/index.ts';
import { EVENTS, type AuditLog } from '../lineage/index.ts';
import type { Store } from '../store/index.ts';

export const ROLES = ['operator', 'reviewer', 'security', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface Person {
  readonly name: string;
  readonly role: Role;
  readonly tenant: string | null;
  readonly display: string;
  readonly verified: boolean;
  readonly agreementUntil: string | null;
  /** Set while an administrator has disabled the person: they may not act, whatever else holds. */
  readonly disabled?: { readonly at: string; readonly reason: string } | null;
}

interface PersonRow {
  name: string;
  role: Role;
  tenant: string | null;
  display: string;
  verified: number;
  agreement_until: string | null;
  disabled_at: string | null;
  disabled_reason: string | null;
}

const NAME = /^[a-z][a-z0-9_.-]{0,63}$/;

export class People {
  constructor(
    private readonly store: Store,
    private readonly audit: AuditLog,
  ) {}

  register(p: Person, actor: string): Person {
    if (!NAME.test(p.name)) throw new OpError('BAD_REQUEST', 'user names are lower-case letters, digits, _ . -');
    if (!(ROLES as readonly string[]).includes(p.role)) throw new OpError('BAD_REQUEST', `role must be one of ${ROLES.join(', ')}`);
    if (p.role === 'operator' && !p.tenant) throw new OpError('BAD_REQUEST', 'an operator belongs to one authorization (tenant)');
    return this.store.tx(() => {
      this.store.run(
        `INSERT INTO users (name, role, tenant, display, verified, agreement_until, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET role = excluded.role, tenant = excluded.tenant, display = excluded.display,
         verified = excluded.verified, agreement_until = excluded.agreement_until`,
        p.name,
        p.role,
        p.tenant,
        p.display,
        p.verified ? 1 : 0,
        p.agreementUntil,
        new Date().toISOString(),
      );
      this.audit.append({
        kind: EVENTS.USER_REGISTERED,
        actor,
        tenant: p.tenant,
        subject: p.name,
        data: { role: p.role, verified: p.verified, agreementUntil: p.agreementUntil },
      });
      return p;
    });
  }

  get(name: string): Person | undefined {
    const r = this.store.get<PersonRow>('SELECT * FROM users WHERE name = ?', name);
    return r ? personOf(r) : undefined;
  }

  list(): Person[] {
    return this.store.all<PersonRow>('SELECT * FROM users ORDER BY name').map(personOf);
  }

  /**
   * Disables a person or lets them act again. Tokens are checked against the registration on
   * every call, so a disabled person's open sessions stop at their next request.
   */
  setDisabled(name: string, disabled: boolean, reason: string | undefined, actor: string): Person {
    return this.store.tx(() => {
      const at = disabled ? new Date().toISOString() : null;
      this.store.run('UPDATE users SET disabled_at = ?, disabled_reason = ? WHERE name = ?', at, disabled ? (reason ?? null) : null, name);
      const p = this.get(name)!;
      this.audit.append({
        kind: disabled ? EVENTS.USER_DISABLED : EVENTS.USER_ENABLED,
        actor,
        tenant: p.tenant,
        subject: name,
        data: { reason: reason ?? null },
      });
      return p;
    });
  }

  /**
   * R22: a person may act only while real-name verified and under a current confidentiality
   * agreement — and, where the domain requires it, with pre-job training not expired.
   */
  mayAct(p: Person, now = new Date()): boolean {
    if (p.disabled) return false;
    const base = p.verified && p.agreementUntil !== null && new Date(p.agreementUntil) >= now;
    if (!base || !this.requiresTraining()) return base;
    const until = this.trainedUntil(p.name);
    return until !== null && new Date(until) >= now;
  }

  /** The administrative level a person works at (province, city, county); authority staff default to province. */
  levelOf(name: string): string {
    return this.store.get<{ level: string | null }>('SELECT level FROM users WHERE name = ?', name)?.level ?? 'province';
  }

  setLevel(name: string, level: string, actor: string): void {
    this.store.tx(() => {
      this.store.run('UPDATE users SET level = ? WHERE name = ?', level, name);
      this.audit.append({ kind: EVENTS.USER_LEVEL_SET, actor, subject: name, data: { level } });
    });
  }

  /** The latest expiry of the person's training records, or null. */
  trainedUntil(name: string): string | null {
    return this.store.get<{ until: string | null }>('SELECT max(expires_on) AS until FROM trainings WHERE person = ?', name)?.until ?? null;
  }

  /** Records one completed training (R22); the record and its audit event commit together. */
  recordTraining(t: { id: string; person: string; course: string; takenOn: string; expiresOn: string }, actor: string): void {
    this.store.tx(() => {
      this.store.run(
        'INSERT INTO trainings (id, person, course, taken_on, expires_on, recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        t.id,
        t.person,
        t.course,
        t.takenOn,
        t.expiresOn,
        actor,
        new Date().toISOString(),
      );
      this.audit.append({ kind: EVENTS.TRAINING_RECORDED, actor, subject: t.person, data: { course: t.course, takenOn: t.takenOn, expiresOn: t.expiresOn } });
    });
  }

  requiresTraining(): boolean {
    return this.store.getMeta('require_training') === 'on';
  }

  setRequiresTraining(on: boolean, actor: string): void {
    this.store.tx(() => {
      this.store.setMeta('require_training', on ? 'on' : 'off');
      this.audit.append({ kind: EVENTS.TRAINING_POLICY_SET, actor, data: { requireTraining: on } });
    });
  }
}

function personOf(r: PersonRow): Person {
  const disabled = r.disabled_at ? { at: r.disabled_at, reason: r.disabled_reason ?? '' } : null;
  return { name: r.name, role: r.role, tenant: r.tenant, display: r.display, verified: r.verified === 1, agreementUntil: r.agreement_until, disabled };
}
