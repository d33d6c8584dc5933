// store/: the control-plane store interface and its embedded (SQLite) implementation.
export { ControlStore } from './controlStore.ts';
export { RateCounter, type RateCount } from './rateCounter.ts';
export type { Row, Store } from './store.ts';
export { openReadOnly, type ReadOnlyRows } from './readOnly.ts';
export { SCHEMA_VERSION } from './schema.ts';
export { homePaths, resolveHome, type HomePaths } from './home.ts';
