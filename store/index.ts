// store/: the control-plane store interface and its embedded (SQLite) implementation.
export { ControlStore, type Row } from './controlStore.ts';
export { SCHEMA_VERSION } from './schema.ts';
export { homePaths, resolveHome, type HomePaths } from './home.ts';
