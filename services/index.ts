// The application core the CLI and the HTTP API both call.
export { Opdomain, type OpenOptions } from './opdomain.ts';
export { setupDemo, demoCast, DEMO_TENANT, DEMO_SCENARIO, DEMO_SCALE, DEMO_EMERGENCY_PLAN, type DemoSetup } from './demo.ts';
export { canRole, checkRole, canSeeTenant, checkTenantScope, type Principal } from './principal.ts';
export { Identity, DEV_ISSUER, AUDIENCE, identityProviderFromEnv, type IdentityProviderConfig } from './identity.ts';
export { outputHash, type RunRequest, type RunResult, type JobRecord } from './jobs.ts';
export type { ExportRequestView, RequestInput } from './exportQueue.ts';
export type { PersonView } from './peopleService.ts';
export type { DomainSupervision } from './supervisionService.ts';
export type { ProductVersionView, ProductReport, SampleRun } from './productService.ts';
export type { ConsumerView, KeyView, GrantView } from './consumerService.ts';
export type { CallRequest, CallAnswer, ConsumerActivity } from './productCalls.ts';
export type { GovernanceView } from './governanceService.ts';
export type { DemandView, DemandItem } from './demandService.ts';
export type { Drill, Training } from './recordsService.ts';
export type { ReportView, EvaluationView } from './reportService.ts';
export type { ImportView } from './importService.ts';
export type { PsiView } from './psiService.ts';
export type { Notice, NoticeKind, Notifications } from './notificationService.ts';
