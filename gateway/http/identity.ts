// Who the caller is and what waits for them (the inbox feed).
import type { FastifyInstance } from 'fastify';
import type { Opdomain } from '../../services/index.ts';
import type { Auth } from './shared.ts';

export function identityRoutes(api: FastifyInstance, od: Opdomain, auth: Auth): void {
  api.get<{ Querystring: { days?: string } }>(
    '/api/notifications',
    { schema: { querystring: { type: 'object', additionalProperties: false, properties: { days: { type: 'string', pattern: '^[1-9][0-9]?$' } } } } },
    async (req) => od.notifications.feed(await auth(req), req.query.days ? Number(req.query.days) : undefined),
  );
  api.get('/api/whoami', async (req) => {
    const p = await auth(req);
    const person = od.ctx.people.get(p.user)!;
    return { user: p.user, role: p.role, tenant: p.tenant, display: person.display };
  });
}
