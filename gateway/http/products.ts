// Data products over HTTP, one resource group: the domain's own API for operators (propose),
// reviewers (decide), the authority (revoke, consumers, keys, grants, calls) under /api/, and
// the consumers' door under /products/ — an API key in a header, the scenario in another, its
// own quotas (not the console's rate limit), one audit entry per call whatever happens.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { API_KEY_HEADER, KEY_PARAMETER_NAMES, KEY_PREFIX, SCENARIO_HEADER } from '../../products/index.ts';
import type { CallAnswer, Opdomain } from '../../services/index.ts';
import type { Auth } from './shared.ts';

const versionParams = {
  type: 'object',
  required: ['product', 'version'],
  properties: { product: { type: 'string', minLength: 1, maxLength: 64 }, version: { type: 'string', pattern: '^[1-9][0-9]{0,6}$' } },
} as const;
const idParam = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 100 } } } as const;
const commentBody = { type: ['object', 'null'], properties: { comment: { type: 'string', maxLength: 2000 } }, additionalProperties: false } as const;
// The reason is the service's to require (REASON_REQUIRED, blank ones too); the schema only shapes it.
const reasonBody = { type: ['object', 'null'], properties: { reason: { type: 'string', maxLength: 2000 } }, additionalProperties: false } as const;
type ReasonBody = { reason?: string } | null;
type VersionReq = { Params: { product: string; version: string } };

const BEARER_KEY = new RegExp(`^(?:Bearer|ApiKey)\\s+(${KEY_PREFIX}\\S+)$`, 'i');

function keyOf(req: FastifyRequest): { key?: string; keyInQuery: boolean } {
  // x-api-key, or the same key as `Authorization: Bearer odk_…` (or `ApiKey odk_…`).
  const bearer = BEARER_KEY.exec(String(req.headers.authorization ?? ''))?.[1];
  const h = req.headers[API_KEY_HEADER] ?? bearer;
  const q = (req.query ?? {}) as Record<string, unknown>;
  const keyInQuery = Object.entries(q).some(([k, v]) => KEY_PARAMETER_NAMES.has(k.toLowerCase()) || (typeof v === 'string' && v.startsWith(KEY_PREFIX)));
  return { ...(typeof h === 'string' ? { key: h } : {}), keyInQuery };
}

function send(reply: FastifyReply, a: CallAnswer): FastifyReply {
  for (const [k, v] of Object.entries(a.headers)) void reply.header(k, v);
  return reply.status(a.status).header('cache-control', 'no-store').type(a.contentType).send(a.body);
}

export function productRoutes(api: FastifyInstance, od: Opdomain, auth: Auth): void {
  // --- versions: operators propose, reviewers decide, the authority revokes ---
  api.post('/api/products', { schema: { body: { type: 'object', maxProperties: 20 } } }, async (req, reply) =>
    reply.status(201).send(await od.products.propose(await auth(req), req.body)),
  );
  api.get<{ Querystring: { state?: string; product?: string } }>(
    '/api/products',
    {
      schema: {
        querystring: {
          type: 'object',
          properties: { state: { type: 'string', maxLength: 20 }, product: { type: 'string', maxLength: 64 } },
          additionalProperties: false,
        },
      },
    },
    async (req) => ({ versions: od.products.list(await auth(req), req.query) }),
  );
  api.get<VersionReq>('/api/products/:product/versions/:version', { schema: { params: versionParams } }, async (req) =>
    od.products.get(await auth(req), req.params.product, Number(req.params.version)),
  );
  for (const decision of ['approve', 'return', 'reject'] as const) {
    api.post<VersionReq & { Body: { comment?: string } | null }>(
      `/api/products/:product/versions/:version/${decision}`,
      { schema: { params: versionParams, body: commentBody } },
      async (req) => od.products.decide(await auth(req), req.params.product, Number(req.params.version), decision, req.body?.comment),
    );
  }
  api.post<VersionReq>('/api/products/:product/versions/:version/withdraw', { schema: { params: versionParams } }, async (req) =>
    od.products.withdraw(await auth(req), req.params.product, Number(req.params.version)),
  );
  api.post<VersionReq & { Body: ReasonBody }>(
    '/api/products/:product/versions/:version/revoke',
    { schema: { params: versionParams, body: reasonBody } },
    async (req) => od.products.revoke(await auth(req), req.params.product, Number(req.params.version), req.body?.reason),
  );
  // Query strings are strings (the app does not coerce): numbers are read with a pattern.
  api.get<{ Querystring: { consumer?: string; product?: string; limit?: string } }>(
    '/api/product-calls',
    {
      schema: {
        querystring: {
          type: 'object',
          properties: {
            consumer: { type: 'string', maxLength: 64 },
            product: { type: 'string', maxLength: 64 },
            limit: { type: 'string', pattern: '^[1-9][0-9]{0,3}$' },
          },
          additionalProperties: false,
        },
      },
    },
    async (req) => {
      const { limit, ...rest } = req.query;
      return { calls: od.productCalls.recentFor(await auth(req), { ...rest, ...(limit ? { limit: Number(limit) } : {}) }) };
    },
  );

  api.get<{ Querystring: { hours?: string } }>(
    '/api/product-calls/activity',
    { schema: { querystring: { type: 'object', properties: { hours: { type: 'string', pattern: '^[1-9][0-9]{0,2}$' } }, additionalProperties: false } } },
    async (req) => ({ consumers: od.productCalls.activity(await auth(req), req.query.hours ? Math.min(Number(req.query.hours), 720) : undefined) }),
  );

  // --- consumers, keys, grants: administrators ---
  api.post('/api/consumers', { schema: { body: { type: 'object', maxProperties: 5 } } }, async (req, reply) =>
    reply.status(201).send(od.consumers.add(await auth(req), req.body as Record<string, unknown>)),
  );
  api.get('/api/consumers', async (req) => ({ consumers: od.consumers.list(await auth(req)) }));
  api.post<{ Params: { id: string }; Body: { days?: number } | null }>(
    '/api/consumers/:id/keys',
    { schema: { params: idParam, body: { type: ['object', 'null'], properties: { days: { type: 'integer' } }, additionalProperties: false } } },
    async (req, reply) => reply.status(201).send(od.consumers.issueKey(await auth(req), req.params.id, req.body ?? {})),
  );
  api.post<{ Params: { id: string }; Body: ReasonBody }>('/api/consumers/:id/revoke', { schema: { params: idParam, body: reasonBody } }, async (req) =>
    od.consumers.revoke(await auth(req), req.params.id, req.body?.reason),
  );
  api.post<{ Params: { id: string }; Body: ReasonBody }>('/api/keys/:id/revoke', { schema: { params: idParam, body: reasonBody } }, async (req) =>
    od.consumers.revokeKey(await auth(req), req.params.id, req.body?.reason),
  );
  api.post('/api/grants', { schema: { body: { type: 'object', maxProperties: 10 } } }, async (req, reply) =>
    reply.status(201).send(od.consumers.grant(await auth(req), req.body as Record<string, unknown>)),
  );
  api.get<{ Querystring: { consumer?: string } }>(
    '/api/grants',
    { schema: { querystring: { type: 'object', properties: { consumer: { type: 'string', maxLength: 64 } }, additionalProperties: false } } },
    async (req) => ({
      grants: od.consumers.grantsFor(await auth(req), req.query.consumer),
    }),
  );
  api.post<{ Params: { id: string }; Body: ReasonBody }>('/api/grants/:id/revoke', { schema: { params: idParam, body: reasonBody } }, async (req) =>
    od.consumers.revokeGrant(await auth(req), req.params.id, req.body?.reason),
  );

  // --- the consumers' door ---
  const open = { config: { rateLimit: false }, schema: { hide: true } } as const;
  api.get('/products', open, async (req, reply) => send(reply, od.productCalls.list(keyOf(req))));
  api.get<{ Params: { product: string; version: string } }>('/products/:product/:version/openapi.json', open, async (req, reply) =>
    send(reply, od.productCalls.openApi({ ...keyOf(req), product: req.params.product, version: req.params.version })),
  );
  api.get<{ Params: { product: string; version: string } }>('/products/:product/:version', open, async (req, reply) => {
    const scenario = req.headers[SCENARIO_HEADER];
    const accept = String(req.headers.accept ?? '');
    const answer = await od.productCalls.call({
      ...keyOf(req),
      scenario: typeof scenario === 'string' ? scenario : undefined,
      product: req.params.product,
      version: req.params.version,
      query: (req.query ?? {}) as Record<string, unknown>,
      format: /text\/csv/i.test(accept) && !/application\/json/i.test(accept) ? 'csv' : 'json',
    });
    return send(reply, answer);
  });
}
