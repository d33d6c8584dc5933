// Opens a tenant DuckDB file the only way jobs may: read-only, no external access, no
// extensions, no spilling, bounded memory and threads, configuration locked. The gate is
// not the only wall: a query it wrongly passed still cannot reach files, network or settings.
import { DuckDBInstance } from '@duckdb/node-api';
import type { JobLimits } from './limits.ts';

export async function openLockedDown(dbPath: string, limits: Pick<JobLimits, 'duckdbMemoryMb' | 'duckdbThreads'>): Promise<DuckDBInstance> {
  return DuckDBInstance.create(dbPath, { access_mode: 'READ_ONLY', ...lockedDownSettings(limits) });
}

/** The walls every instance a script's query can reach stands behind (tenant files, the catalog's empty shapes). */
export function lockedDownSettings(limits: Pick<JobLimits, 'duckdbMemoryMb' | 'duckdbThreads'>): Record<string, string> {
  return {
    enable_external_access: 'false',
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
    allow_community_extensions: 'false',
    allow_unsigned_extensions: 'false',
    max_temp_directory_size: '0B',
    memory_limit: `${limits.duckdbMemoryMb}MB`,
    threads: String(limits.duckdbThreads),
    lock_configuration: 'true',
  };
}
