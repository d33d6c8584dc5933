// Everything a service needs from an open data home. Services receive this, not globals.
import type { Authorizations, DatasetVersions, People } from '../domain/index.ts';
import type { AuditLog, SigningKey } from '../lineage/index.ts';
import type { Supervisor } from '../sandbox/index.ts';
import type { ProductEngine } from '../products/index.ts';
import type { HomePaths, RateCounter, Store } from '../store/index.ts';
import type { Identity } from './identity.ts';

export interface DomainContext {
  readonly paths: HomePaths;
  readonly store: Store;
  readonly audit: AuditLog;
  readonly domainKey: SigningKey;
  readonly people: People;
  readonly authorizations: Authorizations;
  readonly versions: DatasetVersions;
  readonly identity: Identity;
  readonly supervisor: Supervisor;
  /** Product calls' locked-down instances of tenant prod files. */
  readonly productEngine: ProductEngine;
  /** Request counters every gateway on this home shares (per-token rate limits). */
  readonly rates: RateCounter;
}
