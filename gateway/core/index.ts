// The application core the CLI and the HTTP API both call.
export { Opdomain, type OpenOptions } from './opdomain.ts';
export { setupDemo, demoCast, DEMO_TENANT, DEMO_SCENARIO, DEMO_SCALE, DEMO_EMERGENCY_PLAN, type DemoSetup } from './demo.ts';
export { canRole, checkRole, canSeeTenant, checkTenantScope, type Principal } from './principal.ts';
export { Identity, DEV_ISSUER, AUDIENCE, identityProviderFromEnv, type IdentityProviderConfig } from './identity.ts';
export { outputHash, type RunRequest, type RunResult, type JobRecord } from './jobs.ts';
export type { ExportRequestView, RequestInput } from './exportQueue.ts';
export type { PersonView } from './peopleService.ts';
export type { DomainSupervision } from './supervisionService.ts';
