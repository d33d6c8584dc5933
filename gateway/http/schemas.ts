// Response schemas: every route documents (and fastify serializes through) the error body;
// the main resources name their required fields. Nested objects stay open (additional
// properties pass), so a new field never disappears silently from a response.

export const ERROR_BODY = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'class', 'message'],
      properties: { code: { type: 'string' }, class: { type: 'string' }, message: { type: 'string' }, details: { type: 'object', additionalProperties: true } },
    },
  },
} as const;

const open = (required: readonly string[], properties: Record<string, unknown> = {}) =>
  ({ type: 'object', required, additionalProperties: true, properties }) as const;

export const EXPORT_REQUEST = open(['id', 'tenant', 'jobId', 'output', 'scenario', 'requester', 'state', 'verdict', 'rules', 'requiredApprovals', 'votes'], {
  id: { type: 'string' },
  tenant: { type: 'string' },
  state: { type: 'string' },
  verdict: { type: 'string', enum: ['pass', 'review', 'block'] },
  requiredApprovals: { type: 'integer' },
  votesHidden: { type: 'integer' },
});
export const AUTHORIZATION = open(['id', 'org', 'state', 'scenarios', 'grants', 'termEnd'], {
  id: { type: 'string' },
  state: { type: 'string' },
  termEnd: { type: 'string' },
});
export const PERSON = open(['name', 'role', 'display', 'verified', 'agreementUntil', 'mayAct'], {
  name: { type: 'string' },
  role: { type: 'string' },
  verified: { type: 'boolean' },
  mayAct: { type: 'boolean' },
});

/** Response schemas by "METHOD path" for 2xx answers. */
export const OK_RESPONSES: Readonly<Record<string, unknown>> = {
  'GET /healthz': open(['ok'], { ok: { type: 'boolean' } }),
  'GET /readyz': open(['ok', 'auditEntries'], { ok: { type: 'boolean' }, auditEntries: { type: 'integer' } }),
  'GET /api/whoami': open(['user', 'role', 'tenant']),
  'GET /.well-known/jwks.json': open(['keys'], { keys: { type: 'array', items: { type: 'object', additionalProperties: true } } }),
  'POST /api/exports': EXPORT_REQUEST,
  'GET /api/exports/:id': EXPORT_REQUEST,
  'GET /api/exports': open(['requests'], { requests: { type: 'array', items: EXPORT_REQUEST } }),
  'GET /api/tenants': open(['tenants'], { tenants: { type: 'array', items: AUTHORIZATION } }),
  'GET /api/tenants/:id': AUTHORIZATION,
  'POST /api/tenants': AUTHORIZATION,
  'GET /api/supervision': open(['domains', 'at'], { domains: { type: 'array', items: open(['id', 'state', 'jobs', 'exports', 'audit']) } }),
  'GET /api/people': open(['people'], { people: { type: 'array', items: PERSON } }),
  'GET /api/people/:id': PERSON,
  'POST /api/people': PERSON,
  'PATCH /api/people/:id': PERSON,
  'POST /api/people/:id/disable': PERSON,
  'POST /api/people/:id/enable': PERSON,
};
