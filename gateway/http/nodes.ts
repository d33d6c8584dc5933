// Worker nodes and where each authorization's jobs run (several nodes on one PostgreSQL store).
import type { FastifyInstance } from 'fastify';
import type { Opdomain } from '../../services/index.ts';
import { type Auth, idParam } from './shared.ts';

export function nodesRoutes(api: FastifyInstance, od: Opdomain, auth: Auth): void {
  api.get('/api/nodes', async (req) => ({ nodes: od.nodes.list(await auth(req)), placements: od.nodes.placements(await auth(req)) }));
  api.put<{ Params: { id: string }; Body: { node: string } }>(
    '/api/tenants/:id/placement',
    {
      schema: {
        params: idParam,
        body: { type: 'object', required: ['node'], additionalProperties: false, properties: { node: { type: 'string', minLength: 1, maxLength: 120 } } },
      },
    },
    async (req) => od.nodes.place(await auth(req), req.params.id, req.body.node),
  );
}
