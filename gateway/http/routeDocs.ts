// What /docs and /openapi.json say of each operation: a tag, a summary, a description (who may
// call it and what it does), the 2xx status, the list key its answer wraps, query parameters and a
// request example. test/apiDocs.test.ts fails when an operation, a parameter or a body lacks them.

export interface RouteDoc {
  readonly tag: string;
  readonly summary: string;
  readonly description: string;
  /** 201 for operations that create something; 200 otherwise. */
  readonly status?: 201;
  /** The array the answer wraps (`{jobs: [...]}`), documented as required. */
  readonly list?: string;
  readonly query?: Readonly<Record<string, string>>;
  /** A request body that works (for operations that take one). */
  readonly example?: unknown;
}

const reason = { reason: 'quarterly drill: the emergency plan is exercised' };
const comment = { comment: 'aggregates only; thresholds met' };

const d = (tag: string, summary: string, description: string, extra: Omit<RouteDoc, 'tag' | 'summary' | 'description'> = {}): RouteDoc => ({
  tag,
  summary,
  description,
  ...extra,
});

/** Path parameters by name, wherever they appear. */
export const PARAM_DOCS: Readonly<Record<string, string>> = {
  id: 'The identifier of the object named by the path (an authorization, job, request, person, key, grant …).',
  product: "The data product's id, e.g. people-by-county.",
  version: "The product version's number (1, 2, …).",
  tenant: 'The authorization (tenant) id.',
  year: 'The reporting year, e.g. 2026.',
  seq: "The audit entry's sequence number.",
  index: 'The position of the item in the demand list (0-based).',
};

export const ROUTE_DOCS: Readonly<Record<string, RouteDoc>> = {
  // --- system and identity ---------------------------------------------------
  'GET /healthz': d('system', 'Liveness', 'Answers {"ok": true} while the process serves. No token needed.'),
  'GET /readyz': d('system', 'Readiness', 'Answers once the control store and audit log can be read, with the number of audit entries. No token needed.'),
  'GET /.well-known/jwks.json': d(
    'system',
    "The domain's public keys",
    'The Ed25519 keys that verify bundles, checkpoints and signed notes offline (`opdomain export verify --jwks`).',
  ),
  'GET /auth/config': d(
    'identity',
    'Sign-in options',
    'Which identity provider the console signs in with (authorization code + PKCE) and whether the dev issuer is on.',
  ),
  'POST /auth/callback': d(
    'identity',
    'Exchange a sign-in code',
    "The console sends the provider's authorization code and PKCE verifier; the gateway exchanges it server to server and answers the verified token.",
    {
      example: { code: 'provider-code', codeVerifier: 'the PKCE verifier the console kept', redirectUri: 'https://domain.example/' },
    },
  ),
  'GET /auth/dev/jwks.json': d(
    'identity',
    "The dev issuer's public key",
    'Only while the built-in dev issuer is enabled (the demo); a production domain answers 403.',
  ),
  'GET /api/notifications': d(
    'identity',
    'What waits for me',
    "The caller's feed: `waiting` — requests, versions, imports, risk stops, demand lists and data problems on which the caller may act now (the services' own actions, not withdrawing or revoking); `changed` — what the caller filed that moved in the last `days`.",
    {
      list: 'waiting',
      query: { days: 'How far back `changed` looks, in days (1 to 90, default 7).' },
    },
  ),
  'GET /api/whoami': d('identity', 'Who the token names', "The caller's user, role and authorization, as the domain resolved the bearer token."),

  // --- catalog -----------------------------------------------------------------
  'GET /api/datasets': d(
    'catalog',
    'The catalog',
    "Every public dataset with its current version and row count; an operator also sees its authorization's own datasets.",
    { list: 'datasets' },
  ),
  'GET /api/datasets/:id': d(
    'catalog',
    'One catalog entry',
    'A dataset with every field: type, category, grade, openness, role, default masking and usage levels.',
  ),
  'POST /api/datasets/generate': d(
    'catalog',
    'Generate sample data',
    'Administrators: (re)generates the raw store with linked sample data of `scale` people.',
    { status: 201, list: 'datasets', example: { scale: 5000, seed: 20230901 } },
  ),
  'POST /api/datasets/:id/import': d(
    'catalog',
    "Import a department's file",
    'Administrators: the body is the CSV (text/csv, header row, comma, double quotes) or Parquet file; refused whole with line-numbered problems (IMPORT_INVALID) when it does not fit its catalog entry.',
    { status: 201 },
  ),

  // --- jobs --------------------------------------------------------------------
  'POST /api/jobs': d(
    'jobs',
    'Run a script',
    "Operators: runs the script in its authorization's dev (sample) or prod (full) environment. Dev answers outputs with previews, logs and the full error (line and column); prod answers the few bits of the manifest (size buckets, a coarse code).",
    {
      example: {
        tenant: 'demo',
        env: 'dev',
        script: "const rows = await sql('SELECT county_code, count(*) AS n FROM population GROUP BY 1'); output('by_county', rows);",
        params: { month: '2024-06' },
      },
    },
  ),
  'GET /api/jobs': d(
    'jobs',
    'Jobs',
    "Jobs of the caller's scope, newest first (an operator's own authorization; its prod jobs carry only the reply channel's bits).",
    { list: 'jobs', query: { tenant: "Only this authorization's jobs (the authority's roles)." } },
  ),
  'GET /api/jobs/:id': d(
    'jobs',
    'One job',
    "The job's record: state, error code and message (dev), outputs with row counts (size buckets for an operator's prod job).",
  ),
  'GET /api/jobs/:id/script': d(
    'jobs',
    "A job's script",
    "The script text the job ran, with its hash and the parameters it ran with (reviewers judge them beside the output: the script's defaults may differ).",
  ),
  'POST /api/jobs/:id/cancel': d(
    'jobs',
    'Cancel a running job',
    'Operators of its authorization and administrators: the worker is killed wherever it runs and the job ends JOB_CANCELLED.',
  ),

  // --- exports -----------------------------------------------------------------
  'POST /api/exports': d(
    'exports',
    'Ask to export an output',
    "Operators: runs the automatic check on the prod output and files the request (or keeps a draft). The operator sees each rule's verdict with a fixed reason.",
    {
      status: 201,
      example: {
        jobId: 'job_0123456789abcdef',
        output: 'income_by_county',
        scenario: 'public-statistics',
        purpose: 'the county income table of the 2024 statistical yearbook',
        draft: false,
      },
    },
  ),
  'GET /api/exports': d('exports', 'Export requests', "Requests of the caller's scope, with their check reports (reviewers and security see every cell).", {
    list: 'requests',
    query: { state: 'Only requests in this state (draft, submitted, in_review, released …).', tenant: "Only this authorization's requests." },
  }),
  'GET /api/exports/:id': d(
    'exports',
    'One export request',
    'The request, its check report, votes (hidden from a reviewer until they vote) and the fix applied.',
  ),
  'GET /api/exports/:id/output': d(
    'exports',
    'The output under review',
    "Reviewers and security: the output as checked, with each cell's units of privacy; operators see their own.",
  ),
  'POST /api/exports/:id/revise': d(
    'exports',
    'Revise a request',
    'Operators: apply the one-step fix (suppress, round) or attach an argument; the check runs again.',
    { example: { fix: { suppress: true } } },
  ),
  'POST /api/exports/:id/resubmit': d('exports', 'Resubmit a returned request', 'Operators: after a return, optionally with a fix; votes start over.', {
    example: { fix: { suppress: true } },
  }),
  'POST /api/exports/:id/submit': d('exports', 'Submit a draft', 'Operators: a draft the check does not block goes to the reviewers.'),
  'POST /api/exports/:id/withdraw': d('exports', 'Withdraw a request', 'Operators: before it is decided.'),
  'POST /api/exports/:id/revoke': d(
    'exports',
    'Revoke a released bundle',
    'Reviewers, security, administrators, with a reason (REASON_REQUIRED): the bundle is served no more (EXPORT_REVOKED).',
    { example: reason },
  ),
  'POST /api/exports/:id/approve': d(
    'exports',
    'Approve',
    'Reviewers other than the requester; the approval that reaches the required number releases the signed bundle. A comment is optional.',
    { example: comment },
  ),
  'POST /api/exports/:id/return': d('exports', 'Return for changes', 'Reviewers other than the requester, with a comment saying why (REASON_REQUIRED).', {
    example: { comment: 'round the averages to hundreds' },
  }),
  'POST /api/exports/:id/reject': d('exports', 'Reject', 'Reviewers other than the requester, with a comment saying why (REASON_REQUIRED).', {
    example: { comment: 'the scenario does not cover person-level data' },
  }),
  'GET /api/exports/:id/bundle': d(
    'exports',
    'Download the released bundle',
    "Operators of its authorization and administrators: the bundle as one file (opdomain-bundle-file/1: the signed manifest's JWS and every file), which `opdomain export verify FILE` checks offline. Audited.",
  ),
  'GET /api/thresholds/floor': d(
    'exports',
    "The domain's threshold floor",
    'The lowest export thresholds any authorization may use (minimum cell count, dominance …).',
  ),
  'PUT /api/thresholds/floor': d('exports', 'Raise the threshold floor', 'Administrators: thresholds may only be raised above the built-in floor.', {
    example: { minCellCount: 15, dominanceK: 0.8 },
  }),
  'PUT /api/tenants/:id/thresholds': d(
    'exports',
    "An authorization's thresholds",
    "Administrators: tighten one authorization's export thresholds (never below the floor).",
    { example: { minCellCount: 20 } },
  ),

  // --- lineage and audit -------------------------------------------------------
  'POST /api/lineage/verify': d(
    'lineage',
    'Verify the audit log',
    "Security and administrators: every entry's hash, the chain, the Merkle tree and every signed checkpoint; the first problem is named.",
  ),
  'POST /api/lineage/replay/:id': d(
    'lineage',
    'Replay a job',
    'Security: runs the job again on the data version it read and compares its outputs (MATCH / MISMATCH).',
  ),
  'GET /api/lineage/trace/:id': d(
    'lineage',
    'Trace an object',
    'Where an export, bundle, output, job or dataset came from (up) or went (down); the trace stops at the object asked about.',
    { query: { direction: 'up (default) or down.', format: 'json (default) or text (a tree for the terminal).' } },
  ),
  'POST /api/lineage/purge': d(
    'lineage',
    'Purge old entry bodies',
    'Administrators: removes the bodies of entries older than `before` (at least 180 days, R16), keeping their hashes so the log still verifies.',
    { example: { before: '2026-01-01T00:00:00Z' } },
  ),
  'GET /api/lineage/checkpoint': d('lineage', 'The latest signed checkpoint', 'Size and Merkle root of the log, signed (JWS and C2SP signed note).'),
  'GET /api/audit/entries/:seq': d(
    'lineage',
    'An entry with its proof',
    'The entry and its inclusion proof against the latest checkpoint, verifiable offline with the public key.',
  ),
  'GET /api/lineage/consistency': d('lineage', 'Consistency proof', 'Proves the log of size `to` extends the log of size `from` (RFC 6962).', {
    query: { from: 'The older tree size.', to: 'The newer tree size.' },
  }),
  'GET /api/audit': d(
    'lineage',
    'Audit entries',
    'Security, administrators (and reviewers for their queue): entries filtered by authorization, kind, actor and time.',
    {
      list: 'entries',
      query: {
        tenant: "Only this authorization's entries.",
        kind: 'Only this kind (JOB_STARTED, EXPORT_VOTE …).',
        actor: "Only this person's entries.",
        since: 'ISO time: entries at or after it.',
        until: 'ISO time: entries before it.',
        after: 'Entries after this sequence number.',
        before: 'Entries before this sequence number.',
        limit: 'At most this many (default 100, at most 1000).',
        order: 'asc or desc (default).',
      },
    },
  ),

  // --- authorizations and people -----------------------------------------------
  'GET /api/tenants': d('authorizations', 'Authorizations', 'Every authorization (an operator sees its own), with state, grants, scenarios and term.', {
    list: 'tenants',
  }),
  'POST /api/tenants': d(
    'authorizations',
    'Grant an authorization',
    'Administrators: grants, scenarios that justify each field, term (at most three years), emergency plan; builds the masked files unless ?provision=false.',
    {
      status: 201,
      query: { provision: 'false to create it without building its files yet.' },
      example: {
        id: 'north',
        org: 'North Data Co.',
        scenarios: ['stats'],
        grants: [{ dataset: 'population' }],
        justification: { 'population.*': ['stats'] },
        termEnd: '2028-11-30',
        emergencyPlan: { summary: 'Suspend, seal, notify within one hour.', contact: 'security officer', approvedAt: '2026-01-01' },
      },
    },
  ),
  'GET /api/tenants/:id': d('authorizations', 'One authorization', 'Its state, grants, usage levels, thresholds, limits, build and emergency plan.'),
  'GET /api/tenants/:id/schema': d(
    'catalog',
    'What a script may read',
    'Operators of the authorization and the authority: its tables and columns as its files hold them — type, grade, description, and the usage levels in the sandbox and for exports. Names and kinds only, never a value.',
    { list: 'tables' },
  ),
  'PUT /api/tenants/:id/emergency-plan': d(
    'authorizations',
    'Set the emergency plan',
    'Administrators: 一授权一预案 — without one an authorization stays pending.',
    { example: { summary: 'Suspend, seal, notify the authority within one hour.', contact: 'security officer', approvedAt: '2026-01-01' } },
  ),
  'GET /api/supervision': d(
    'authorizations',
    'Supervision overview',
    "Security and administrators: every domain's state, jobs, exports and audit counts, without data.",
  ),
  'GET /api/people': d('people', 'People', 'Registered people with role, authorization, real-name verification and agreement (R22).', {
    list: 'people',
    query: { tenant: "Only this authorization's people." },
  }),
  'POST /api/people': d('people', 'Register a person', 'Administrators: name, role, authorization (operators), real-name verification and agreement end.', {
    status: 201,
    example: { name: 'dora', role: 'operator', tenant: 'demo', display: 'Dora', verified: true, agreementUntil: '2027-12-31' },
  }),
  'GET /api/people/:id': d('people', 'One person', 'Role, authorization, verification, agreement and whether they may act now.'),
  'PATCH /api/people/:id': d('people', 'Update a person', 'Administrators: verification, agreement end, administrative level.', {
    example: { verified: true, agreementUntil: '2027-12-31' },
  }),
  'POST /api/people/:id/disable': d(
    'people',
    'Disable a person',
    'Administrators, with a reason (REASON_REQUIRED): the person may not act and every token of theirs is refused at its next call (AUTH_USER_DISABLED). Not oneself.',
    { example: { reason: 'left the operator on 2026-11-30' } },
  ),
  'POST /api/people/:id/enable': d(
    'people',
    'Enable a person again',
    'Administrators: lifts a disable; verification and the agreement still decide whether the person may act. A comment is optional.',
    { example: { reason: 'returned from leave' } },
  ),
  'POST /api/tenants/:id/build': d(
    'authorizations',
    'Build the masked files',
    "Administrators: (re)builds the authorization's masked prod and dev files from the current raw store, leak check included.",
  ),
  'POST /api/tenants/:id/suspend': d(
    'authorizations',
    'Suspend',
    'Administrators, with a reason (REASON_REQUIRED): running jobs stop, operators are refused until resumed.',
    { example: reason },
  ),
  'POST /api/tenants/:id/resume': d('authorizations', 'Resume', 'Administrators; a reason is optional.', { example: { reason: 'drill over' } }),
  'POST /api/tenants/:id/terminate': d('authorizations', 'Terminate', 'Administrators, with a reason (REASON_REQUIRED).', {
    example: { reason: 'the operator ended the contract' },
  }),
  'POST /api/tenants/:id/seal': d(
    'authorizations',
    'Seal',
    'Administrators, with a reason (REASON_REQUIRED): nothing runs, the files are kept closed as evidence.',
    { example: { reason: 'investigation opened' } },
  ),
  'POST /api/tenants/:id/destroy': d(
    'authorizations',
    'Destroy',
    'Administrators, with a reason (REASON_REQUIRED): deletes the files and keys, records their hashes; the audit log is kept.',
    { example: { reason: 'retention period over' } },
  ),
  'GET /api/nodes': d(
    'nodes',
    'Worker nodes and placements',
    'Administrators and security staff: the nodes that registered with the control store, whether their lease holds (`live`), the authorizations placed on each, and every placement.',
    { list: 'nodes' },
  ),
  'PUT /api/tenants/:id/placement': d(
    'nodes',
    "Place an authorization's jobs on a node",
    "Administrators: from now on the node's claims take the authorization's jobs. Refused while it has queued or running jobs (PLACEMENT_BUSY); audited with the sha256 of its DuckDB files.",
    { example: { node: 'node-b' } },
  ),
  'POST /api/tenants/:id/risk-stops': d(
    'risk',
    'Raise a risk stop',
    'Operators of the authorization, security, administrators (R19): running jobs end, new ones are refused until resolved.',
    { status: 201, example: { reason: 'the output would identify patients of a small hospital' } },
  ),
  'GET /api/risk-stops': d('risk', 'Risk stops', "Stops of the caller's scope.", {
    list: 'riskStops',
    query: { tenant: "Only this authorization's ones (the authority's roles)." },
  }),
  'GET /api/risk-stops/:id': d('risk', 'One risk stop', 'The stop, who raised it and the jobs it ended.'),
  'POST /api/risk-stops/:id/confirm': d('risk', 'Confirm a risk report', 'Security: a report the domain raised itself becomes a stop that holds processing.', {
    example: { resolution: 'pattern confirmed: repeated refusals' },
  }),
  'POST /api/risk-stops/:id/resolve': d('risk', 'Resolve a stop', 'Security or administrators, never the person who raised it.', {
    example: { resolution: 'the script was withdrawn' },
  }),
  'POST /api/risk-stops/:id/dismiss': d('risk', 'Dismiss a stop', 'Security or administrators, never the person who raised it.', {
    example: { resolution: 'no risk: public totals only' },
  }),

  // --- products --------------------------------------------------------------------
  'POST /api/products': d(
    'products',
    'Propose a product version',
    'Operators: an approved query template served as a data API; the check runs on sample parameters.',
    {
      status: 201,
      example: {
        product: 'people-by-county',
        title: 'Residents by county and gender',
        scenario: 'public-statistics',
        sql: 'SELECT county_code, count(*) AS people FROM population WHERE gender = $gender GROUP BY county_code',
        parameters: { type: 'object', properties: { gender: { type: 'string', enum: ['男', '女'] } }, required: ['gender'], additionalProperties: false },
        columns: ['county_code', 'people'],
        unit: 'person',
        controls: { minUnits: 10, roundTo: 5, rowCap: 200 },
      },
    },
  ),
  'GET /api/products': d('products', 'Product versions', "Versions of the caller's scope, with their reports, votes and the actions the caller may take.", {
    list: 'versions',
    query: { state: 'Only versions in this state.', product: "Only this product's versions." },
  }),
  'GET /api/products/:product/versions/:version': d('products', 'One product version', 'Its spec, report, votes, grants and the actions the caller may take.'),
  'POST /api/products/:product/versions/:version/approve': d('products', 'Approve a version', 'Reviewers other than the proposer.', { example: comment }),
  'POST /api/products/:product/versions/:version/return': d(
    'products',
    'Return a version',
    'Reviewers other than the proposer, with a comment (REASON_REQUIRED).',
    { example: { comment: 'round to tens' } },
  ),
  'POST /api/products/:product/versions/:version/reject': d(
    'products',
    'Reject a version',
    'Reviewers other than the proposer, with a comment (REASON_REQUIRED).',
    { example: { comment: 'the scenario does not allow it' } },
  ),
  'POST /api/products/:product/versions/:version/withdraw': d('products', 'Withdraw a version', 'Its proposer, before it is decided.'),
  'POST /api/products/:product/versions/:version/revoke': d(
    'products',
    'Revoke a version',
    'Reviewers, security, administrators, with a reason (REASON_REQUIRED): the next call is refused, cached answers included.',
    { example: { reason: 'superseded by v2' } },
  ),
  'GET /api/product-calls': d('products', 'Product calls', 'The newest calls with their consumer, parameters hash, rows and verdict.', {
    list: 'calls',
    query: { consumer: "Only this consumer's calls.", product: "Only this product's calls.", limit: 'At most this many (default 100).' },
  }),
  'GET /api/product-calls/activity': d(
    'products',
    'Activity by consumer',
    'Security: calls per consumer and who walks the parameter space (differencing patterns).',
    { list: 'consumers', query: { hours: 'The window in hours (default 24, at most 720).' } },
  ),
  'POST /api/consumers': d('products', 'Register a consumer', 'Administrators: an outside organisation that will call product APIs.', {
    status: 201,
    example: { id: 'acme', name: 'ACME Credit' },
  }),
  'GET /api/consumers': d('products', 'Consumers', 'Consumers with their keys (never the secrets) and grants.', { list: 'consumers' }),
  'POST /api/consumers/:id/keys': d('products', 'Issue an API key', 'Administrators: the key is answered this once; the domain keeps only its hash.', {
    status: 201,
    example: { days: 90 },
  }),
  'POST /api/consumers/:id/revoke': d(
    'products',
    'Revoke a consumer',
    'Administrators and security, with a reason (REASON_REQUIRED): every key stops on the next call.',
    { example: { reason: 'contract ended' } },
  ),
  'POST /api/keys/:id/revoke': d('products', 'Revoke an API key', 'Administrators and security, with a reason (REASON_REQUIRED).', {
    example: { reason: 'the key leaked' },
  }),
  'POST /api/grants': d('products', 'Grant a version to a consumer', 'Administrators: with quotas per minute, per day and rows per day.', {
    status: 201,
    example: { consumer: 'acme', product: 'people-by-county', version: 1, perDay: 1000 },
  }),
  'GET /api/grants': d('products', 'Grants', "Grants with their quotas and today's use (an operator sees its own products').", {
    list: 'grants',
    query: { consumer: "Only this consumer's grants." },
  }),
  'POST /api/grants/:id/revoke': d('products', 'Revoke a grant', 'Administrators and security, with a reason (REASON_REQUIRED).', {
    example: { reason: 'trial over' },
  }),

  // --- the authority's workflows -------------------------------------------------
  'POST /api/governance': d(
    'authority',
    'Report a data-quality problem',
    'Governance request (R17) about a dataset, assigned to the providing department with a deadline.',
    { status: 201, example: { tenant: 'demo', dataset: 'population', field: 'address', problem: 'county codes missing for new districts' } },
  ),
  'GET /api/governance': d('authority', 'Governance requests', "Requests of the caller's scope.", {
    list: 'requests',
    query: { tenant: "Only this authorization's requests.", state: 'Only requests in this state.', overdue: 'true for those past their deadline.' },
  }),
  'GET /api/governance/:id': d('authority', 'One governance request', 'The request and its steps.'),
  'POST /api/governance/:id/assign': d('authority', 'Assign to a department', 'Administrators: the department and the deadline.', {
    example: { department: '浙江省公安厅', deadline: '2026-12-31' },
  }),
  'POST /api/governance/:id/resolve': d('authority', 'Resolve', 'The fix and the dataset version that carries it.', {
    example: { resolution: 'codes added', fixedVersion: 2 },
  }),
  'POST /api/governance/:id/reject': d('authority', 'Reject', 'Administrators, with a reason the reporter reads.', {
    example: { reason: 'not a data problem' },
  }),
  'POST /api/governance/:id/withdraw': d('authority', 'Withdraw', 'Its reporter, before it is decided.'),
  'POST /api/demands': d('authority', 'File a data demand list', 'Operators (R20): datasets and fields wanted, each with its scenario.', {
    status: 201,
    example: { tenant: 'demo', items: [{ dataset: 'medical_claims', scenario: 'public-statistics', justification: 'claims by county' }] },
  }),
  'GET /api/demands': d('authority', 'Demand lists', "Lists of the caller's scope.", {
    list: 'lists',
    query: { tenant: "Only this authorization's ones (the authority's roles)." },
  }),
  'GET /api/demands/:id': d('authority', 'One demand list', "The list with each item's decision."),
  'POST /api/demands/:id/items/:index/approve': d(
    'authority',
    'Approve an item',
    "Administrators (with the province's consent where the data is the province's).",
  ),
  'POST /api/demands/:id/items/:index/refuse': d('authority', 'Refuse an item', 'Administrators, with a reason.', {
    example: { reason: 'not needed for the scenario' },
  }),
  'POST /api/demands/:id/apply': d('authority', 'Apply a decided list', 'Administrators: the approved items become grants of the authorization.'),
  'POST /api/demands/:id/withdraw': d('authority', 'Withdraw a list', 'Its filer, before it is decided.'),
  'PUT /api/tenants/:id/level': d(
    'authority',
    "Set an authorization's level",
    "Administrators: province, city or county (decides which demanded data needs the province's consent).",
    { example: { level: 'city' } },
  ),
  'POST /api/tenants/:id/drills': d('authority', 'Record an emergency drill', 'Administrators and security.', {
    status: 201,
    example: { at: '2026-06-01', scenario: 'a leaked key', outcome: 'passed', notes: 'keys rotated in 20 minutes' },
  }),
  'GET /api/tenants/:id/drills': d('authority', 'Emergency drills', "The authorization's drills.", { list: 'drills' }),
  'POST /api/people/:id/trainings': d('authority', 'Record a training', 'Administrators: a course a person took, with its date and hours (R22).', {
    status: 201,
    example: { course: 'data security basics', at: '2026-03-01', hours: 4 },
  }),
  'GET /api/people/:id/trainings': d('authority', 'Trainings', "A person's trainings.", { list: 'trainings' }),
  'PUT /api/people-policy': d('authority', 'Training policy', 'Administrators: whether operators must have a training on record to act.', {
    example: { requireTraining: true },
  }),
  'PUT /api/reports/:tenant/:year/market': d('authority', 'Market figures for the yearly report', 'Administrators: figures the domain cannot count itself.', {
    example: { revenue: 1200000, products: 3 },
  }),
  'POST /api/reports/:tenant/:year': d('authority', 'Generate the yearly report', 'Administrators: counted from the audit log and records.', { status: 201 }),
  'GET /api/reports/:tenant/:year': d('authority', 'The yearly report', 'As JSON, HTML or PDF (printed by the browser).', {
    query: { format: 'json (default), html or pdf.' },
  }),
  'POST /api/reports/:tenant/:year/evaluation': d(
    'authority',
    'Evaluate the year',
    "Administrators: the evaluation's criteria applied to the report's counted facts.",
    { status: 201, example: { notes: 'complete', grade: 'good' } },
  ),
  'GET /api/evaluations': d('authority', 'Evaluations of an organisation', "Every year's evaluation of one operator organisation.", {
    list: 'evaluations',
    query: { org: "The organisation's name." },
  }),

  // --- own data ------------------------------------------------------------------------
  'POST /api/imports': d('own data', 'Declare an import', "Operators (R13): the dataset's fields, lawful basis and scenario; the file follows.", {
    status: 201,
    example: {
      tenant: 'demo',
      scenario: 'public-statistics',
      justification: 'our customers by county',
      declaration: {
        name: 'customers',
        lawfulBasis: 'contract',
        fields: [{ name: 'customer_id', type: 'VARCHAR', role: 'direct_identifier', identifier: 'resident_id' }],
      },
    },
  }),
  'GET /api/imports': d('own data', 'Import requests', "Requests of the caller's scope.", {
    list: 'imports',
    query: { tenant: "Only this authorization's requests.", state: 'Only requests in this state.' },
  }),
  'GET /api/imports/:id': d('own data', 'One import request', "The declaration, the file's profile and the votes."),
  'POST /api/imports/:id/approve': d(
    'own data',
    'Approve an import',
    "Reviewers other than the filer; the last approval loads the data masked into the authorization's files.",
    { example: { comment: 'consent checked' } },
  ),
  'POST /api/imports/:id/return': d('own data', 'Return an import', 'Reviewers other than the filer, with a comment (REASON_REQUIRED).', {
    example: { comment: 'declare the segment column as quasi-identifier' },
  }),
  'POST /api/imports/:id/withdraw': d('own data', 'Withdraw an import', 'Its filer, before it is loaded; the staged file is deleted.'),
  'PUT /api/imports/:id/file': d(
    'own data',
    'Upload the file',
    'Operators: the body is the CSV or Parquet file, streamed; refused whole with line-numbered problems or suspect identifiers.',
    { query: { format: 'csv or parquet.' } },
  ),
  'POST /api/imports/:id/file': d('own data', 'Upload the file (POST)', 'As PUT, for clients that cannot send PUT.', { query: { format: 'csv or parquet.' } }),
  'POST /api/tenants/:id/usage': d(
    'own data',
    'Tighten column usage levels',
    "Administrators: a field's level for the sandbox or exports may only be tightened; the files are rebuilt.",
    { example: { 'population.birth_date': { sandbox: 'aggregate' } } },
  ),

  // --- privacy computing -----------------------------------------------------------------
  'POST /api/psi/sessions': d('privacy', 'Start a set intersection', 'Operators (R14): ECDH-PSI over ristretto255 against a public identifier column.', {
    status: 201,
    example: { tenant: 'demo', name: 'customers', against: 'population.id_card', revealSize: false },
  }),
  'GET /api/psi/sessions': d('privacy', 'Set intersections', "Sessions of the caller's scope.", {
    list: 'sessions',
    query: { tenant: "Only this authorization's ones (the authority's roles)." },
  }),
  'POST /api/psi/sessions/:id/blinded': d('privacy', 'Send blinded elements', "The operator's client sends its blinded identifiers with the step's MAC.", {
    example: { elements: ['base64url group element'], mac: 'hex MAC over session and step' },
  }),
  'POST /api/psi/sessions/:id/finish': d(
    'privacy',
    'Finish the intersection',
    "The client's doubly blinded elements; the intersection becomes an own dataset of tokens.",
    { example: { elements: ['base64url group element'], mac: 'hex MAC over session and step' } },
  ),
  'GET /api/psi/sessions/:id': d('privacy', 'One intersection', "The session's state and, if asked for, the size."),
  'POST /api/dp/budgets': d('privacy', 'Set a privacy budget', 'Administrators: ε (and δ) per dataset and authorization, and a per-query cap, with a reason.', {
    example: { tenant: 'demo', dataset: 'population', epsilon: 2, perQuery: 0.5, reason: 'yearly statistics' },
  }),
  'GET /api/dp/budgets': d('privacy', 'Privacy budgets', 'Budgets with what is spent and reserved.', {
    list: 'budgets',
    query: { tenant: "Only this authorization's ones (the authority's roles)." },
  }),
};

type Schema = Record<string, unknown>;
interface RouteShape {
  method: string | string[];
  url: string;
  schema?: Schema;
}

/** An object answer, open to fields the docs do not list, with its list key required. */
function answerSchema(doc: RouteDoc): Schema {
  return {
    type: ['object', 'null'],
    description: doc.summary,
    additionalProperties: true,
    ...(doc.list ? { required: [doc.list], properties: { [doc.list]: { type: 'array', items: { type: 'object', additionalProperties: true } } } } : {}),
  };
}

/** Parameters of an object schema, each given its description (copied: schemas are shared between routes). */
function describeProperties(schema: unknown, docs: Readonly<Record<string, string>>): Schema | undefined {
  if (!schema || typeof schema !== 'object') return undefined;
  const s = schema as { properties?: Record<string, Schema> };
  const properties = Object.fromEntries(
    Object.entries(s.properties ?? {}).map(([k, v]) => [k, docs[k] && !v.description ? { ...v, description: docs[k] } : v]),
  );
  return { ...(schema as Schema), properties };
}

/**
 * Fills a route's OpenAPI documentation from ROUTE_DOCS: summary, description, tag, the 2xx answer
 * (`ok` when a precise schema exists), query parameters not declared by the route, parameter
 * descriptions and the request example. Errors share one body (`errorBody`).
 */
export function documentRoute(route: RouteShape, ok: unknown, errorBody: unknown): void {
  const method = Array.isArray(route.method) ? route.method[0]! : route.method;
  const schema: Schema = { ...(route.schema ?? {}) };
  const doc = ROUTE_DOCS[`${method} ${route.url}`];
  const status = doc?.status ?? 200;
  if (doc && !schema.hide) {
    Object.assign(schema, { summary: doc.summary, description: doc.description, tags: [doc.tag] });
    const named = [...route.url.matchAll(/:([A-Za-z]+)/g)].map((m) => m[1]!);
    if (schema.params) schema.params = describeProperties(schema.params, PARAM_DOCS);
    else if (named.length > 0)
      schema.params = { type: 'object', properties: Object.fromEntries(named.map((n) => [n, { type: 'string', description: PARAM_DOCS[n] ?? n }])) };
    if (doc.query) {
      const declared = schema.querystring as Schema | undefined;
      schema.querystring = declared
        ? describeProperties(declared, doc.query)
        : { type: 'object', properties: Object.fromEntries(Object.entries(doc.query).map(([k, v]) => [k, { type: 'string', description: v }])) };
    }
    if (doc.example !== undefined && schema.body && typeof schema.body === 'object') schema.body = { ...(schema.body as Schema), examples: [doc.example] };
  }
  const answer = ok ?? (doc ? answerSchema(doc) : undefined);
  schema.response = { ...(answer ? { [String(status)]: answer } : {}), '4xx': errorBody, '5xx': errorBody };
  route.schema = schema;
}
