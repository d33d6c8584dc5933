// The authority's workflows over HTTP, one resource group: governance requests (R17), data
// demand lists (R20), emergency drills (R29), pre-job training (R22), the yearly report (R26) and
// the evaluation (R30). Every route is a thin call into the core; refusals carry registry codes.
import type { FastifyInstance } from 'fastify';
import type { Opdomain } from '../../services/index.ts';
import type { Auth } from './shared.ts';

const id = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 100 } } } as const;
const obj = (max = 10) => ({ type: 'object', maxProperties: max }) as const;
const tenantYear = {
  type: 'object',
  required: ['tenant', 'year'],
  properties: { tenant: { type: 'string', minLength: 1, maxLength: 100 }, year: { type: 'string', pattern: '^(20[0-9]{2}|2100)$' } },
} as const;
type TY = { Params: { tenant: string; year: string } };

function governanceRoutes(api: FastifyInstance, od: Opdomain, auth: Auth): void {
  api.post('/api/governance', { schema: { body: obj(6) } }, async (req, reply) =>
    reply.status(201).send(od.governance.report(await auth(req), req.body as Record<string, unknown>)),
  );
  api.get<{ Querystring: { tenant?: string; state?: string; overdue?: string } }>(
    '/api/governance',
    {
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            tenant: { type: 'string', maxLength: 100 },
            state: { type: 'string', maxLength: 20 },
            overdue: { type: 'string', enum: ['true', 'false'] },
          },
        },
      },
    },
    async (req) => ({
      requests: od.governance.list(await auth(req), {
        ...(req.query.tenant ? { tenant: req.query.tenant } : {}),
        ...(req.query.state ? { state: req.query.state } : {}),
        overdue: req.query.overdue === 'true',
      }),
    }),
  );
  api.get<{ Params: { id: string } }>('/api/governance/:id', { schema: { params: id } }, async (req) => od.governance.get(await auth(req), req.params.id));
  for (const action of ['assign', 'resolve', 'reject', 'withdraw'] as const) {
    api.post<{ Params: { id: string }; Body: Record<string, unknown> | null }>(`/api/governance/:id/${action}`, { schema: { params: id } }, async (req) =>
      od.governance.act(await auth(req), req.params.id, action, req.body ?? {}),
    );
  }
}

function demandRoutes(api: FastifyInstance, od: Opdomain, auth: Auth): void {
  api.post('/api/demands', { schema: { body: obj(2) } }, async (req, reply) =>
    reply.status(201).send(od.demands.file(await auth(req), req.body as Record<string, unknown>)),
  );
  api.get<{ Querystring: { tenant?: string } }>(
    '/api/demands',
    { schema: { querystring: { type: 'object', additionalProperties: false, properties: { tenant: { type: 'string', maxLength: 100 } } } } },
    async (req) => ({
      lists: od.demands.list(await auth(req), req.query.tenant),
    }),
  );
  api.get<{ Params: { id: string } }>('/api/demands/:id', { schema: { params: id } }, async (req) => od.demands.get(await auth(req), req.params.id));
  for (const outcome of ['approve', 'refuse'] as const) {
    api.post<{ Params: { id: string; index: string }; Body: { reason?: string } | null }>(
      `/api/demands/:id/items/:index/${outcome}`,
      {
        schema: {
          params: {
            type: 'object',
            required: ['id', 'index'],
            properties: { id: { type: 'string', maxLength: 100 }, index: { type: 'string', pattern: '^[0-9]{1,3}$' } },
          },
        },
      },
      async (req) => od.demands.decide(await auth(req), req.params.id, Number(req.params.index), outcome, req.body?.reason),
    );
  }
  api.post<{ Params: { id: string } }>('/api/demands/:id/apply', { schema: { params: id } }, async (req) => od.demands.apply(await auth(req), req.params.id));
  api.post<{ Params: { id: string } }>('/api/demands/:id/withdraw', { schema: { params: id } }, async (req) =>
    od.demands.withdraw(await auth(req), req.params.id),
  );
  api.put<{ Params: { id: string }; Body: { level: string } }>(
    '/api/tenants/:id/level',
    { schema: { params: id, body: { type: 'object', required: ['level'], additionalProperties: false, properties: { level: { type: 'string' } } } } },
    async (req) => od.tenants.setLevel(await auth(req), req.params.id, req.body.level),
  );
}

function recordRoutes(api: FastifyInstance, od: Opdomain, auth: Auth): void {
  api.post<{ Params: { id: string } }>('/api/tenants/:id/drills', { schema: { params: id, body: obj(5) } }, async (req, reply) =>
    reply.status(201).send(od.records.recordDrill(await auth(req), req.params.id, req.body as Record<string, unknown>)),
  );
  api.get<{ Params: { id: string } }>('/api/tenants/:id/drills', { schema: { params: id } }, async (req) => ({
    drills: od.records.drills(await auth(req), req.params.id),
  }));
  api.post<{ Params: { id: string } }>('/api/people/:id/trainings', { schema: { params: id, body: obj(4) } }, async (req, reply) =>
    reply.status(201).send(od.records.recordTraining(await auth(req), req.params.id, req.body as Record<string, unknown>)),
  );
  api.get<{ Params: { id: string } }>('/api/people/:id/trainings', { schema: { params: id } }, async (req) => ({
    trainings: od.records.trainings(await auth(req), req.params.id),
  }));
  api.put<{ Body: { requireTraining: boolean } }>(
    '/api/people-policy',
    { schema: { body: { type: 'object', required: ['requireTraining'], additionalProperties: false, properties: { requireTraining: { type: 'boolean' } } } } },
    async (req) => od.records.setTrainingRequired(await auth(req), req.body.requireTraining),
  );
}

function reportRoutes(api: FastifyInstance, od: Opdomain, auth: Auth): void {
  api.put<TY>('/api/reports/:tenant/:year/market', { schema: { params: tenantYear, body: obj(2) } }, async (req) =>
    od.reports.setMarket(await auth(req), req.params.tenant, Number(req.params.year), req.body as Record<string, unknown>),
  );
  api.post<TY>('/api/reports/:tenant/:year', { schema: { params: tenantYear } }, async (req, reply) =>
    reply.status(201).send(await od.reports.generate(await auth(req), req.params.tenant, Number(req.params.year))),
  );
  api.get<TY & { Querystring: { format?: string } }>(
    '/api/reports/:tenant/:year',
    {
      schema: {
        params: tenantYear,
        querystring: { type: 'object', additionalProperties: false, properties: { format: { type: 'string', enum: ['html', 'pdf', 'manifest'] } } },
      },
    },
    async (req, reply) => {
      const r = od.reports.get(await auth(req), req.params.tenant, Number(req.params.year));
      const format = req.query.format ?? 'manifest';
      // The page has inline styles and SVG only; the gateway's content security policy allows nothing else.
      if (format === 'html') return reply.type('text/html; charset=utf-8').send(r.html);
      if (format === 'pdf') return reply.type('application/pdf').send(r.pdf);
      return { manifest: JSON.parse(r.manifest) as unknown, jws: r.jws };
    },
  );
  api.post<TY>('/api/reports/:tenant/:year/evaluation', { schema: { params: tenantYear, body: obj(2) } }, async (req, reply) =>
    reply.status(201).send(od.reports.evaluate(await auth(req), req.params.tenant, Number(req.params.year), req.body as Record<string, unknown>)),
  );
  api.get<{ Querystring: { org: string } }>(
    '/api/evaluations',
    {
      schema: {
        querystring: { type: 'object', required: ['org'], additionalProperties: false, properties: { org: { type: 'string', minLength: 1, maxLength: 300 } } },
      },
    },
    async (req) => ({
      evaluations: od.reports.evaluations(await auth(req), req.query.org),
    }),
  );
}

export function authorityRoutes(api: FastifyInstance, od: Opdomain, auth: Auth): void {
  governanceRoutes(api, od, auth);
  demandRoutes(api, od, auth);
  recordRoutes(api, od, auth);
  reportRoutes(api, od, auth);
}
