// Error registry: the one leaf module every layer may import.
export { ERRORS, isErrorCode, type ErrorCode, type ErrorClass, type ErrorSpec } from './registry.ts';
export { OpError, toOpError, errorClassOf } from './opError.ts';
