// store/: the control-plane store interface and its embedded (SQLite) implementation.
export { ControlStore } from './controlStore.ts';
export { RateCounter, type RateCount } from './rateCounter.ts';
export type { Row, Store } from './store.ts';
export { openReadOnly, type ReadOnlyRows } from './readOnly.ts';
export { SCHEMA_VERSION, MIGRATIONS, type Migration } from './migrations.ts';
export { PgStore, isPostgresUrl } from './pgStore.ts';
export { openStore } from './openStore.ts';
export { homePaths, resolveHome, type HomePaths } from './home.ts';
