// The export requests' rows and their votes: every SQL statement of the export queue's own
// aggregate, with typed rows. The queue (services/exportQueue.ts) decides; this only reads and
// writes, inside the caller's transaction when there is one.
import type { ExportState, Verdict } from '../../exports/index.ts';
import type { Store } from '../../store/index.ts';

export interface RequestRow {
  id: string;
  tenant: string;
  job_id: string;
  output: string;
  scenario: string;
  requester: string;
  state: ExportState;
  verdict: Verdict;
  report: string;
  required_approvals: number;
  bundle_path: string | null;
  created_at: string;
  updated_at: string;
  fix: string | null;
  output_hash: string | null;
  ledger: string | null;
  details: string | null;
  argument: string | null;
  purpose: string | null;
}

export type SummaryRow = Pick<RequestRow, 'id' | 'tenant' | 'output' | 'scenario' | 'requester' | 'state' | 'created_at' | 'updated_at'>;
export type VoteRow = { reviewer: string; decision: string; comment: string | null; at: string };

/** What a new request is filed with (bundle and timestamps are the repository's). */
export type NewRequest = Omit<RequestRow, 'bundle_path' | 'created_at' | 'updated_at'>;
/** What a revision replaces: the job and output checked, and what the check said of them. */
export type CheckedFields = Pick<
  RequestRow,
  'job_id' | 'output' | 'verdict' | 'report' | 'required_approvals' | 'fix' | 'output_hash' | 'ledger' | 'details' | 'argument'
>;

/** Scope and filters of a listing: an operator's authorization, the authority's filters. */
export interface RequestScope {
  readonly tenant?: string | null | undefined;
  readonly filterTenant?: string | undefined;
  readonly state?: string | undefined;
}

const SUMMARY_COLUMNS = 'id, tenant, output, scenario, requester, state, created_at, updated_at';
const MAX_LISTED = 1000;

export class ExportRequests {
  constructor(private readonly store: Store) {}

  find(id: string): RequestRow | undefined {
    return this.store.get<RequestRow>('SELECT * FROM export_requests WHERE id = ?', id);
  }

  insert(r: NewRequest, at: string): void {
    this.store.run(
      `INSERT INTO export_requests (id, tenant, job_id, output, scenario, requester, state, verdict, report, required_approvals, created_at, updated_at, fix, output_hash, ledger, details, argument, purpose)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      r.id,
      r.tenant,
      r.job_id,
      r.output,
      r.scenario,
      r.requester,
      r.state,
      r.verdict,
      r.report,
      r.required_approvals,
      at,
      at,
      r.fix,
      r.output_hash,
      r.ledger,
      r.details,
      r.argument,
      r.purpose,
    );
  }

  updateChecked(id: string, c: CheckedFields): void {
    this.store.run(
      'UPDATE export_requests SET job_id = ?, output = ?, verdict = ?, report = ?, required_approvals = ?, fix = ?, output_hash = ?, ledger = ?, details = ?, argument = ? WHERE id = ?',
      c.job_id,
      c.output,
      c.verdict,
      c.report,
      c.required_approvals,
      c.fix,
      c.output_hash,
      c.ledger,
      c.details,
      c.argument,
      id,
    );
  }

  setState(id: string, state: ExportState, at: string): void {
    this.store.run('UPDATE export_requests SET state = ?, updated_at = ? WHERE id = ?', state, at, id);
  }

  setBundlePath(id: string, path: string): void {
    this.store.run('UPDATE export_requests SET bundle_path = ? WHERE id = ?', path, id);
  }

  /** Newest first, scope and filters in the query (so the newest 1,000 are the caller's newest 1,000). */
  list(scope: RequestScope): RequestRow[] {
    return this.listed<RequestRow>('*', scope);
  }

  summaries(scope: RequestScope): SummaryRow[] {
    return this.listed<SummaryRow>(SUMMARY_COLUMNS, scope);
  }

  private listed<T>(columns: string, scope: RequestScope): T[] {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (clause: string, value: unknown) => {
      where.push(clause);
      params.push(value);
    };
    if (scope.tenant !== undefined) add('tenant = ?', scope.tenant);
    if (scope.filterTenant) add('tenant = ?', scope.filterTenant);
    if (scope.state) add('state = ?', scope.state);
    return this.store.all<T>(
      `SELECT ${columns} FROM export_requests ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC LIMIT ${MAX_LISTED}`,
      ...params,
    );
  }

  /** The votes of several requests in one query, in the order they were cast. */
  votesOf(ids: readonly string[]): Map<string, VoteRow[]> {
    const votes = new Map<string, VoteRow[]>();
    if (ids.length === 0) return votes;
    const marks = ids.map(() => '?').join(', ');
    for (const v of this.store.all<VoteRow & { request_id: string }>(
      `SELECT request_id, reviewer, decision, comment, at FROM votes WHERE request_id IN (${marks}) ORDER BY at`,
      ...ids,
    )) {
      const { request_id, ...vote } = v;
      votes.set(request_id, [...(votes.get(request_id) ?? []), vote]);
    }
    return votes;
  }

  /** The requests a reviewer has voted on. */
  votedBy(reviewer: string): Set<string> {
    return new Set(this.store.all<{ request_id: string }>('SELECT request_id FROM votes WHERE reviewer = ?', reviewer).map((v) => v.request_id));
  }

  hasVoted(id: string, reviewer: string): boolean {
    return this.store.get('SELECT 1 FROM votes WHERE request_id = ? AND reviewer = ?', id, reviewer) !== undefined;
  }

  approvals(id: string): number {
    return this.store.get<{ n: number }>("SELECT count(*) AS n FROM votes WHERE request_id = ? AND decision = 'approve'", id)!.n;
  }

  /** Who approved a request, in the order they did. */
  approvers(id: string): string[] {
    return this.store
      .all<{ reviewer: string }>("SELECT reviewer FROM votes WHERE request_id = ? AND decision = 'approve' ORDER BY at", id)
      .map((v) => v.reviewer);
  }

  addVote(id: string, reviewer: string, decision: string, comment: string | null, at: string): void {
    this.store.run('INSERT INTO votes (request_id, reviewer, decision, comment, at) VALUES (?, ?, ?, ?, ?)', id, reviewer, decision, comment, at);
  }

  /** Drops every vote of a request (its output changed); answers how many there were. */
  clearVotes(id: string): number {
    const n = this.store.get<{ n: number }>('SELECT count(*) AS n FROM votes WHERE request_id = ?', id)!.n;
    if (n > 0) this.store.run('DELETE FROM votes WHERE request_id = ?', id);
    return n;
  }

  /** A return judged the earlier submission: its reviewer may vote again on the resubmitted one. */
  clearReturns(id: string): void {
    this.store.run("DELETE FROM votes WHERE request_id = ? AND decision = 'return'", id);
  }

  /** Export checks an authorization asked for since `since` (the reply channel's daily bound). */
  checksSince(tenant: string, since: string): number {
    return this.store.get<{ n: number }>('SELECT count(*) AS n FROM export_checks WHERE tenant = ? AND at > ?', tenant, since)!.n;
  }

  recordCheck(tenant: string, at: string): void {
    this.store.run('INSERT INTO export_checks (tenant, at) VALUES (?, ?)', tenant, at);
  }
}
