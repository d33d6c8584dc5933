// gateway/http: the HTTP API.
export { buildApp, type AppOptions } from './app.ts';
