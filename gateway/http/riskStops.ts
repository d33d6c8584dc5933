// Risk stops (R19, R29): raised by the authority or the domain, confirmed, resolved, dismissed.
import type { FastifyInstance } from 'fastify';
import type { Opdomain } from '../../services/index.ts';
import { type Auth, idParam } from './shared.ts';

export function riskStopsRoutes(api: FastifyInstance, od: Opdomain, auth: Auth): void {
  const textBody = (field: string) => ({
    type: 'object',
    required: [field],
    additionalProperties: false,
    properties: { [field]: { type: 'string', minLength: 10, maxLength: 4000 } },
  });
  api.post<{ Params: { id: string }; Body: { reason: string } }>(
    '/api/tenants/:id/risk-stops',
    { schema: { params: idParam, body: textBody('reason') } },
    async (req, reply) => reply.status(201).send(od.risks.raise(await auth(req), req.params.id, req.body.reason)),
  );
  api.get<{ Querystring: { tenant?: string } }>(
    '/api/risk-stops',
    { schema: { querystring: { type: 'object', properties: { tenant: { type: 'string', maxLength: 40 } } } } },
    async (req) => ({ riskStops: od.risks.list(await auth(req), req.query.tenant) }),
  );
  api.get<{ Params: { id: string } }>('/api/risk-stops/:id', { schema: { params: idParam } }, async (req) => od.risks.get(await auth(req), req.params.id));
  for (const action of ['confirm', 'resolve', 'dismiss'] as const) {
    api.post<{ Params: { id: string }; Body: { resolution: string } }>(
      `/api/risk-stops/:id/${action}`,
      { schema: { params: idParam, body: textBody('resolution') } },
      async (req) => od.risks.decide(await auth(req), req.params.id, action, req.body.resolution),
    );
  }
}
