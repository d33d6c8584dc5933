// Regulated acts — suspending, terminating, sealing or destroying an authorization; returning or
// rejecting what someone filed; revoking a bundle, a product version, a consumer, a key or a
// grant; disabling a person — are explained by the person who does them. The reason goes into the audit entry and
// the record, where the operator, the authority and an inspector read it later: an empty or
// blank reason would record an act nobody can account for.
import { OpError } from '../errors/index.ts';

export const MAX_REASON_CHARS = 2000;

export type RegulatedAct = 'suspend' | 'terminate' | 'seal' | 'destroy' | 'return' | 'reject' | 'revoke' | 'disable';

/** The acts whose reason is required; the others (approve, resume) may carry one. */
export const ACTS_NEEDING_REASON: ReadonlySet<string> = new Set<RegulatedAct>([
  'suspend',
  'terminate',
  'seal',
  'destroy',
  'return',
  'reject',
  'revoke',
  'disable',
]);

export function canGiveReason(reason: unknown): reason is string {
  return typeof reason === 'string' && reason.trim().length > 0 && reason.length <= MAX_REASON_CHARS;
}

/** The reason, trimmed; REASON_REQUIRED when it is missing, blank or too long. */
export function checkReason(reason: unknown, act: string): string {
  if (!canGiveReason(reason)) {
    throw new OpError('REASON_REQUIRED', `a reason is required to ${act} (not empty, not only spaces, at most ${MAX_REASON_CHARS} characters)`);
  }
  return reason.trim();
}

/** For acts that need a reason only for some decisions (return and reject, not approve). */
export function checkReasonFor(act: string, reason: unknown): string | undefined {
  if (ACTS_NEEDING_REASON.has(act)) return checkReason(reason, act);
  if (reason === undefined || reason === null) return undefined;
  if (typeof reason !== 'string' || reason.length > MAX_REASON_CHARS)
    throw new OpError('BAD_REQUEST', `a comment is a string of at most ${MAX_REASON_CHARS} characters`);
  return reason.trim() === '' ? undefined : reason.trim();
}
