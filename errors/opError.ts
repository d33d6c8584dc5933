// The one error type every layer throws: a stable code from the registry plus a message
// that must never carry data values (prod callers may see it).
import { ERRORS, isErrorCode, type ErrorCode, type ErrorClass } from './registry.ts';

export class OpError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message?: string, details?: Record<string, unknown>) {
    super(message ?? ERRORS[code].title);
    this.name = 'OpError';
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return ERRORS[this.code].status;
  }

  get errorClass(): ErrorClass {
    return ERRORS[this.code].class;
  }

  toJSON(): { code: ErrorCode; class: ErrorClass; message: string; details?: Record<string, unknown> } {
    return { code: this.code, class: this.errorClass, message: this.message, ...(this.details ? { details: this.details } : {}) };
  }
}

/** Anything thrown, as an OpError (unknown errors become INTERNAL without their message). */
export function toOpError(err: unknown): OpError {
  if (err instanceof OpError) return err;
  if (err && typeof err === 'object' && 'code' in err && isErrorCode((err as { code: unknown }).code)) {
    const e = err as { code: ErrorCode; message?: string; details?: Record<string, unknown> };
    return new OpError(e.code, e.message, e.details);
  }
  return new OpError('INTERNAL');
}

export function errorClassOf(code: ErrorCode): ErrorClass {
  return ERRORS[code].class;
}
