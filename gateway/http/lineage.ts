// Lineage and audit: verify, trace, replay, proofs, consistency, entries, purge.
import type { FastifyInstance } from 'fastify';
import { OpError } from '../../errors/index.ts';
import { renderTrace } from '../../lineage/index.ts';
import type { Opdomain } from '../../services/index.ts';
import { type Auth, idParam } from './shared.ts';

export function lineageRoutes(api: FastifyInstance, od: Opdomain, auth: Auth): void {
  api.post('/api/lineage/verify', async (req) => od.lineage.verify(await auth(req)));
  api.post<{ Params: { id: string } }>('/api/lineage/replay/:id', { schema: { params: idParam } }, async (req) =>
    od.lineage.replay(await auth(req), req.params.id),
  );
  api.get<{ Params: { id: string }; Querystring: { direction?: 'up' | 'down'; format?: 'json' | 'text' } }>(
    '/api/lineage/trace/:id',
    { schema: { params: idParam } },
    async (req, reply) => {
      const tree = od.lineage.trace(await auth(req), req.params.id, req.query.direction === 'down' ? 'down' : 'up');
      return req.query.format === 'text' ? reply.type('text/plain; charset=utf-8').send(`${renderTrace(tree)}\n`) : tree;
    },
  );
  api.post<{ Body: { before: string } }>(
    '/api/lineage/purge',
    { schema: { body: { type: 'object', required: ['before'], additionalProperties: false, properties: { before: { type: 'string', maxLength: 40 } } } } },
    async (req) => ({ purged: od.lineage.purge(await auth(req), new Date(req.body.before)) }),
  );
  api.get('/api/lineage/checkpoint', async (req) => od.lineage.latestCheckpoint(await auth(req)));
  api.get<{ Params: { seq: string } }>('/api/audit/entries/:seq', async (req) => od.lineage.prove(await auth(req), Number(req.params.seq)));
  api.get<{ Querystring: { from?: string; to?: string } }>('/api/lineage/consistency', async (req) =>
    od.lineage.consistency(await auth(req), Number(req.query.from), Number(req.query.to)),
  );
  api.get<{
    Querystring: {
      tenant?: string;
      kind?: string;
      actor?: string;
      since?: string;
      until?: string;
      after?: string;
      before?: string;
      limit?: string;
      order?: string;
    };
  }>('/api/audit', async (req) => {
    const p = await auth(req);
    const q = req.query;
    const limit = Math.min(Number(q.limit ?? 200) || 200, 5000);
    const seq = (v: string | undefined) => (v && Number.isSafeInteger(Number(v)) ? Number(v) : undefined);
    const iso = (v: string | undefined, name: string) => {
      if (!v) return undefined;
      if (Number.isNaN(new Date(v).getTime())) throw new OpError('BAD_REQUEST', `${name} must be a date`);
      return new Date(v).toISOString();
    };
    const since = iso(q.since, 'since');
    const until = iso(q.until, 'until');
    const afterSeq = seq(q.after);
    const beforeSeq = seq(q.before);
    return {
      entries: od.lineage.entries(p, {
        ...(q.tenant ? { tenant: q.tenant } : {}),
        ...(q.kind ? { kind: q.kind } : {}),
        ...(q.actor ? { actor: q.actor } : {}),
        ...(since ? { since } : {}),
        ...(until ? { until } : {}),
        ...(afterSeq ? { afterSeq } : {}),
        ...(beforeSeq ? { beforeSeq } : {}),
        limit,
        newestFirst: q.order === 'desc',
      }),
    };
  });
}
