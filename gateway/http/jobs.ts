// Jobs: run a script in dev or prod, list, read, cancel.
import type { FastifyInstance } from 'fastify';
import type { Opdomain } from '../../services/index.ts';
import { type Auth, idParam } from './shared.ts';

export function jobsRoutes(api: FastifyInstance, od: Opdomain, auth: Auth): void {
  api.post<{ Body: { tenant: string; env?: 'dev' | 'prod'; script: string; params?: Record<string, unknown> } }>(
    '/api/jobs',
    {
      schema: {
        body: {
          type: 'object',
          required: ['tenant', 'script'],
          additionalProperties: false,
          properties: {
            tenant: { type: 'string', maxLength: 40 },
            env: { type: 'string', enum: ['dev', 'prod'] },
            script: { type: 'string', minLength: 1, maxLength: 1024 * 1024 },
            params: { type: 'object' },
            manifest: { type: 'object', description: 'declared outputs: {"outputs": [{"name", "columns": [{"name", "type"}]}]}' },
          },
        },
      },
    },
    async (req) => od.jobs.run(await auth(req), req.body),
  );
  api.get<{ Querystring: { tenant?: string } }>('/api/jobs', async (req) => ({ jobs: od.jobs.list(await auth(req), req.query.tenant) }));
  api.get<{ Params: { id: string } }>('/api/jobs/:id', { schema: { params: idParam } }, async (req) => od.jobs.job(await auth(req), req.params.id));
  api.get<{ Params: { id: string } }>('/api/jobs/:id/script', { schema: { params: idParam } }, async (req) => od.jobs.script(await auth(req), req.params.id));
  api.post<{ Params: { id: string } }>('/api/jobs/:id/cancel', { schema: { params: idParam } }, async (req) => od.jobs.cancel(await auth(req), req.params.id));
}
