// domain/: authorizations (tenants), their lifecycle and provisioning; people; dataset versions.
export { Authorizations, MAX_TERM_DAYS, type Authorization, type AuthorizationSpec, type BuildInfo, type EmergencyPlan } from './authorizations.ts';
export {
  TENANT_ACTORS,
  TENANT_TRANSITIONS,
  canTenantTransition,
  tenantActions,
  checkTenantTransition,
  type TenantAction,
  type TenantActor,
  type TenantState,
} from './tenantStates.ts';
export { People, ROLES, type Person, type Role } from './people.ts';
export { DatasetVersions, type RecordedVersion } from './datasetVersions.ts';
export { IMPORTS, type ImportAction, type ImportState } from './importStates.ts';
