// Risk stops' rows, and the audit reads the domain's own risk watch counts: every statement of
// the risk-stop aggregate, with typed rows. The service (services/riskService.ts) decides.
import type { RiskState } from '../../authority/index.ts';
import type { Store } from '../../store/index.ts';

export interface RiskRow {
  id: string;
  tenant: string;
  state: RiskState;
  reason: string;
  raised_by: string;
  raised_at: string;
  resolution: string | null;
  decided_by: string | null;
  decided_at: string | null;
  stopped_jobs: string;
}

export type NewRisk = Pick<RiskRow, 'id' | 'tenant' | 'state' | 'reason' | 'raised_by' | 'raised_at'>;

export class RiskStopRepository {
  constructor(private readonly store: Store) {}

  /** The id of an open stop of the authorization, if one holds it. */
  openStop(tenant: string): string | undefined {
    return this.store.get<{ id: string }>("SELECT id FROM risk_stops WHERE tenant = ? AND state = 'open' LIMIT 1", tenant)?.id;
  }

  insert(r: NewRisk): void {
    this.store.run(
      "INSERT INTO risk_stops (id, tenant, state, reason, raised_by, raised_at, stopped_jobs) VALUES (?, ?, ?, ?, ?, ?, '[]')",
      r.id,
      r.tenant,
      r.state,
      r.reason,
      r.raised_by,
      r.raised_at,
    );
  }

  setStoppedJobs(id: string, jobs: readonly string[]): void {
    this.store.run('UPDATE risk_stops SET stopped_jobs = ? WHERE id = ?', JSON.stringify(jobs), id);
  }

  setState(id: string, state: RiskState): void {
    this.store.run('UPDATE risk_stops SET state = ? WHERE id = ?', state, id);
  }

  decide(id: string, state: RiskState, resolution: string, by: string, at: string): void {
    this.store.run('UPDATE risk_stops SET state = ?, resolution = ?, decided_by = ?, decided_at = ? WHERE id = ?', state, resolution, by, at, id);
  }

  find(id: string): RiskRow | undefined {
    return this.store.get<RiskRow>('SELECT * FROM risk_stops WHERE id = ?', id);
  }

  /** The newest 500, of one authorization or of all. */
  list(tenant?: string): RiskRow[] {
    return tenant
      ? this.store.all<RiskRow>('SELECT * FROM risk_stops WHERE tenant = ? ORDER BY raised_at DESC LIMIT 500', tenant)
      : this.store.all<RiskRow>('SELECT * FROM risk_stops ORDER BY raised_at DESC LIMIT 500');
  }

  /** When the domain last reported this pattern in the authorization. */
  lastDomainReport(tenant: string, actor: string, pattern: string): string | undefined {
    return this.store.get<{ at: string }>(
      "SELECT at FROM audit WHERE tenant = ? AND kind = 'RISK_STOP_RAISED' AND actor = ? AND json_extract(body, '$.data.pattern') = ? ORDER BY seq DESC LIMIT 1",
      tenant,
      actor,
      pattern,
    )?.at;
  }

  /** Audit entries of the authorization since a time that match a pattern's condition (authority/riskPatterns.ts, the code's own text). */
  countSince(tenant: string, since: string, where: string): number {
    return this.store.get<{ n: number }>(`SELECT count(*) AS n FROM audit WHERE tenant = ? AND at > ? AND ${where}`, tenant, since)!.n;
  }
}
