// Privacy computing over HTTP (R14): the private set intersection's three steps the operator's
// client speaks (group elements only, base64url, with a MAC per message) and the privacy budgets
// DP aggregates are charged to.
import type { FastifyInstance } from 'fastify';
import type { Opdomain } from '../../services/index.ts';
import type { Auth } from './shared.ts';

const id = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 100 } } } as const;
const message = {
  type: 'object',
  required: ['elements', 'mac'],
  additionalProperties: false,
  properties: { elements: { type: 'array', items: { type: 'string', maxLength: 64 } }, mac: { type: 'string', maxLength: 100 } },
} as const;
/** A million elements of 45 bytes each, as JSON. */
const BODY_LIMIT = 64 * 1024 * 1024;

export function privacyRoutes(api: FastifyInstance, od: Opdomain, auth: Auth): void {
  api.post(
    '/api/psi/sessions',
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            tenant: { type: 'string', maxLength: 100 },
            name: { type: 'string', maxLength: 40 },
            against: { type: 'string', maxLength: 100 },
            revealSize: { type: 'boolean' },
            maxClientSize: { type: 'integer' },
          },
        },
      },
    },
    async (req, reply) => reply.status(201).send(await od.psi.start(await auth(req), (req.body ?? {}) as Record<string, unknown>)),
  );
  for (const step of ['blinded', 'finish'] as const) {
    api.post<{ Params: { id: string }; Body: { elements: string[]; mac: string } }>(
      `/api/psi/sessions/:id/${step}`,
      { bodyLimit: BODY_LIMIT, schema: { params: id, body: message } },
      async (req) => (step === 'blinded' ? od.psi.blinded(await auth(req), req.params.id, req.body) : od.psi.finish(await auth(req), req.params.id, req.body)),
    );
  }
  api.get<{ Querystring: { tenant?: string } }>(
    '/api/psi/sessions',
    { schema: { querystring: { type: 'object', additionalProperties: false, properties: { tenant: { type: 'string', maxLength: 100 } } } } },
    async (req) => ({ sessions: od.psi.list(await auth(req), req.query.tenant) }),
  );
  api.get<{ Params: { id: string } }>('/api/psi/sessions/:id', { schema: { params: id } }, async (req) => od.psi.show(await auth(req), req.params.id));
  api.post(
    '/api/dp/budgets',
    {
      schema: {
        body: {
          type: 'object',
          required: ['tenant', 'dataset', 'epsilon', 'reason'],
          additionalProperties: false,
          properties: {
            tenant: { type: 'string' },
            dataset: { type: 'string' },
            epsilon: { type: 'number' },
            delta: { type: 'number' },
            perQuery: { type: 'number' },
            reason: { type: 'string', maxLength: 2000 },
          },
        },
      },
    },
    async (req) => od.dp.set(await auth(req), req.body as Record<string, unknown>),
  );
  api.get<{ Querystring: { tenant?: string } }>(
    '/api/dp/budgets',
    { schema: { querystring: { type: 'object', additionalProperties: false, properties: { tenant: { type: 'string', maxLength: 100 } } } } },
    async (req) => ({ budgets: od.dp.list(await auth(req), req.query.tenant) }),
  );
}
