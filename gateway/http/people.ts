// People (R22): registered, verified, under agreement, disabled and enabled.
import type { FastifyInstance } from 'fastify';
import type { Opdomain } from '../../services/index.ts';
import { type Auth, idParam } from './shared.ts';

export function peopleRoutes(api: FastifyInstance, od: Opdomain, auth: Auth): void {
  api.get<{ Querystring: { tenant?: string } }>('/api/people', async (req) => ({ people: od.people.list(await auth(req), req.query) }));
  api.post<{ Body: unknown }>('/api/people', { schema: { body: { type: 'object', maxProperties: 10 } } }, async (req, reply) =>
    reply.status(201).send(od.people.register(await auth(req), req.body)),
  );
  api.get<{ Params: { id: string } }>('/api/people/:id', { schema: { params: idParam } }, async (req) => od.people.get(await auth(req), req.params.id));
  api.patch<{ Params: { id: string }; Body: { verified?: boolean; agreementUntil?: string | null } }>(
    '/api/people/:id',
    {
      schema: {
        params: idParam,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            verified: { type: 'boolean' },
            agreementUntil: { type: ['string', 'null'], maxLength: 40 },
            level: { type: 'string', enum: ['province', 'city', 'county'] },
          },
        },
      },
    },
    async (req) => od.people.update(await auth(req), req.params.id, req.body),
  );
  for (const act of ['disable', 'enable'] as const) {
    api.post<{ Params: { id: string }; Body: { reason?: string } | null }>(
      `/api/people/:id/${act}`,
      {
        schema: {
          params: idParam,
          body: { type: ['object', 'null'], additionalProperties: false, properties: { reason: { type: 'string', maxLength: 2000 } } },
        },
      },
      async (req) => od.people[act](await auth(req), req.params.id, req.body?.reason),
    );
  }
}
