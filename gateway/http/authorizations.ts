// Authorizations: created, built, stepped through their lifecycle, planned, thresholded; supervision.
import type { FastifyInstance } from 'fastify';
import type { AuthorizationSpec } from '../../domain/index.ts';
import type { Opdomain } from '../../services/index.ts';
import { type Auth, idParam } from './shared.ts';

export function authorizationsRoutes(api: FastifyInstance, od: Opdomain, auth: Auth): void {
  api.get('/api/tenants', async (req) => ({ tenants: od.tenants.list(await auth(req)) }));
  api.post<{ Body: AuthorizationSpec; Querystring: { provision?: string } }>(
    '/api/tenants',
    {
      schema: {
        body: {
          type: 'object',
          required: ['id', 'org', 'scenarios', 'grants', 'termEnd', 'justification'],
          additionalProperties: false,
          properties: {
            id: { type: 'string', maxLength: 40 },
            org: { type: 'string', maxLength: 200 },
            termEnd: { type: 'string', maxLength: 40 },
            scenarios: { type: 'array', maxItems: 50, items: { type: 'string', maxLength: 64 } },
            grants: {
              type: 'array',
              maxItems: 50,
              items: {
                type: 'object',
                required: ['dataset'],
                additionalProperties: false,
                properties: { dataset: { type: 'string', maxLength: 64 }, fields: { type: 'array', maxItems: 200, items: { type: 'string', maxLength: 64 } } },
              },
            },
            justification: {
              type: 'object',
              maxProperties: 500,
              additionalProperties: { type: 'array', maxItems: 50, items: { type: 'string', maxLength: 64 } },
            },
            emergencyPlan: {
              type: 'object',
              additionalProperties: false,
              required: ['summary', 'contact'],
              properties: {
                summary: { type: 'string', maxLength: 20000 },
                contact: { type: 'string', maxLength: 500 },
                approvedAt: { type: 'string', maxLength: 40 },
              },
            },
            overrides: { type: 'object', maxProperties: 500 },
            limits: { type: 'object', maxProperties: 20 },
            thresholds: { type: 'object', maxProperties: 20 },
            devSamplePercent: { type: 'number', minimum: 1, maximum: 100 },
          },
        },
      },
    },
    async (req, reply) => reply.status(201).send(await od.tenants.create(await auth(req), req.body, { provision: req.query.provision !== 'false' })),
  );
  api.get<{ Params: { id: string } }>('/api/tenants/:id', { schema: { params: idParam } }, async (req) => od.tenants.get(await auth(req), req.params.id));
  api.get<{ Params: { id: string } }>('/api/tenants/:id/schema', { schema: { params: idParam } }, async (req) =>
    od.catalog.schemaOf(await auth(req), req.params.id),
  );
  api.put<{ Params: { id: string }; Body: unknown }>(
    '/api/tenants/:id/emergency-plan',
    { schema: { params: idParam, body: { type: 'object', maxProperties: 3 } } },
    async (req) => od.tenants.setEmergencyPlan(await auth(req), req.params.id, req.body),
  );
  api.get('/api/supervision', async (req) => od.supervision.overview(await auth(req)));
  api.post<{ Params: { id: string } }>('/api/tenants/:id/build', { schema: { params: idParam } }, async (req) =>
    od.tenants.build(await auth(req), req.params.id),
  );
  for (const action of ['suspend', 'resume', 'terminate', 'seal', 'destroy'] as const) {
    api.post<{ Params: { id: string }; Body: { reason?: string } | null }>(
      `/api/tenants/:id/${action}`,
      {
        schema: {
          params: idParam,
          body: { type: ['object', 'null'], additionalProperties: false, properties: { reason: { type: 'string', maxLength: 2000 } } },
        },
      },
      async (req) => od.tenants.transition(await auth(req), req.params.id, action, req.body?.reason),
    );
  }
  api.put<{ Params: { id: string }; Body: Record<string, number> }>(
    '/api/tenants/:id/thresholds',
    { schema: { params: idParam, body: { type: 'object', maxProperties: 20 } } },
    async (req) => od.tenants.setThresholds(await auth(req), req.params.id, req.body),
  );
}
