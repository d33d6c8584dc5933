// The export queue: request, revise, submit, decide, revoke, download; the threshold floor.
import type { FastifyInstance } from 'fastify';
import type { Opdomain, RequestInput } from '../../services/index.ts';
import { type Auth, idParam, commentBody } from './shared.ts';

export function exportsRoutes(api: FastifyInstance, od: Opdomain, auth: Auth): void {
  const fixSchema = {
    type: 'object',
    additionalProperties: false,
    properties: { suppress: { type: 'boolean' }, roundTo: { type: 'integer', minimum: 2, maximum: 100 } },
  };
  api.post<{ Body: RequestInput }>(
    '/api/exports',
    {
      schema: {
        body: {
          type: 'object',
          required: ['jobId', 'output'],
          additionalProperties: false,
          properties: {
            jobId: { type: 'string', maxLength: 100 },
            output: { type: 'string', maxLength: 100 },
            scenario: { type: 'string', maxLength: 100 },
            draft: { type: 'boolean' },
            fix: fixSchema,
            argument: { type: 'string', maxLength: 4000 },
            purpose: { type: 'string', maxLength: 2000 },
          },
        },
      },
    },
    async (req, reply) => reply.status(201).send(await od.exports.request(await auth(req), req.body)),
  );
  const changesBody = {
    type: ['object', 'null'],
    additionalProperties: false,
    properties: {
      jobId: { type: 'string', maxLength: 100 },
      output: { type: 'string', maxLength: 100 },
      fix: fixSchema,
      argument: { type: 'string', maxLength: 4000 },
    },
  };
  type Changes = { jobId?: string; output?: string; fix?: unknown; argument?: string } | null;
  api.post<{ Params: { id: string }; Body: Changes }>('/api/exports/:id/revise', { schema: { params: idParam, body: changesBody } }, async (req) =>
    od.exports.revise(await auth(req), req.params.id, req.body ?? {}),
  );
  api.post<{ Params: { id: string }; Body: Changes }>('/api/exports/:id/resubmit', { schema: { params: idParam, body: changesBody } }, async (req) =>
    od.exports.resubmit(await auth(req), req.params.id, req.body ?? {}),
  );
  api.post<{ Params: { id: string } }>('/api/exports/:id/submit', { schema: { params: idParam } }, async (req) =>
    od.exports.submit(await auth(req), req.params.id),
  );
  api.post<{ Params: { id: string } }>('/api/exports/:id/withdraw', { schema: { params: idParam } }, async (req) =>
    od.exports.withdraw(await auth(req), req.params.id),
  );
  api.post<{ Params: { id: string }; Body: { reason?: string } | null }>(
    '/api/exports/:id/revoke',
    {
      schema: { params: idParam, body: { type: ['object', 'null'], additionalProperties: false, properties: { reason: { type: 'string', maxLength: 2000 } } } },
    },
    async (req) => od.exports.revoke(await auth(req), req.params.id, req.body?.reason),
  );
  api.get('/api/thresholds/floor', async (req) => od.tenants.thresholdFloor(await auth(req)));
  api.put<{ Body: Record<string, number> }>('/api/thresholds/floor', { schema: { body: { type: 'object', maxProperties: 20 } } }, async (req) =>
    od.tenants.setThresholdFloor(await auth(req), req.body),
  );
  api.get<{ Querystring: { state?: string; tenant?: string } }>('/api/exports', async (req) => ({ requests: od.exports.list(await auth(req), req.query) }));
  api.get<{ Params: { id: string } }>('/api/exports/:id', { schema: { params: idParam } }, async (req) => od.exports.get(await auth(req), req.params.id));
  api.get<{ Params: { id: string } }>('/api/exports/:id/output', { schema: { params: idParam } }, async (req) =>
    od.exports.outputOf(await auth(req), req.params.id),
  );
  for (const decision of ['approve', 'return', 'reject'] as const) {
    api.post<{ Params: { id: string }; Body: { comment?: string } | null }>(
      `/api/exports/:id/${decision}`,
      { schema: { params: idParam, body: commentBody } },
      async (req) => od.exports.decide(await auth(req), req.params.id, decision, req.body?.comment),
    );
  }
  api.get<{ Params: { id: string } }>('/api/exports/:id/bundle', { schema: { params: idParam } }, async (req) =>
    od.exports.download(await auth(req), req.params.id),
  );
}
