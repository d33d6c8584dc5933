// The HTTP API (fastify, JSON, bearer tokens). buildApp() returns the app without listening,
// so tests drive it in-process with inject(). Every error body is {error:{code, class, message}}
// with the registry's status; every refusal of identity or access is audited.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import rateLimit from '@fastify/rate-limit';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { OpError, toOpError } from '../../errors/index.ts';
import { MAX_SCALE, MIN_SCALE } from '../../datasets/index.ts';
import { EVENTS, renderTrace } from '../../lineage/index.ts';
import { type Opdomain, type Principal, type RequestInput, checkRole } from '../core/index.ts';
import type { AuthorizationSpec } from '../../domain/index.ts';
import { documentRoute } from './routeDocs.ts';
import { ERROR_BODY, OK_RESPONSES } from './schemas.ts';
import { productRoutes } from './products.ts';
import { authorityRoutes } from './authority.ts';
import { importRoutes } from './imports.ts';
import { privacyRoutes } from './privacy.ts';

export interface AppOptions {
  /** pino logger options (fastify logs with pino); false = silent. */
  readonly logger?: boolean | object;
  /** Requests a minute per token (or per address without one); default 600 or $OPDOMAIN_RATE_LIMIT. */
  readonly rateLimitPerMinute?: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

// The console's files, read once: served from the same origin, no CDN, no build step.
const CONSOLE_DIR = fileURLToPath(new URL('../console/', import.meta.url));
const CONSOLE_TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };
const CONSOLE_FILES = new Map<string, { type: string; body: string }>();
(function load(dir: string, prefix: string) {
  for (const name of readdirSync(dir, { withFileTypes: true })) {
    if (name.isDirectory()) load(join(dir, name.name), `${prefix}${name.name}/`);
    else if (CONSOLE_TYPES[extname(name.name)]) CONSOLE_FILES.set(`${prefix}${name.name}`, { type: CONSOLE_TYPES[extname(name.name)]!, body: readFileSync(join(dir, name.name), 'utf8') });
  }
})(CONSOLE_DIR, '');

const idParam = { type: 'object', properties: { id: { type: 'string', minLength: 1, maxLength: 200 } }, required: ['id'] } as const;
const commentBody = { type: ['object', 'null'], properties: { comment: { type: 'string', maxLength: 2000 } }, additionalProperties: false } as const;

export function buildApp(od: Opdomain, opts: AppOptions = {}): FastifyInstance {
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: 2 * 1024 * 1024,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
  });

  app.addHook('onSend', async (req, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-frame-options', 'DENY');
    reply.header('referrer-policy', 'no-referrer');
    // data: images only (the API docs page's logo and icons); scripts only from the gateway itself.
    reply.header('content-security-policy', "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'");
    if (req.url.startsWith('/api/')) reply.header('cache-control', 'no-store');
    return payload;
  });

  app.setErrorHandler((err: unknown, req: FastifyRequest, reply: FastifyReply) => {
    const fe = err as { validation?: unknown; statusCode?: number; code?: string; message?: string };
    let e: OpError;
    if (fe.validation) e = new OpError('BAD_REQUEST', `invalid request: ${fe.message ?? ''}`.slice(0, 300));
    else if (fe.statusCode === 429) e = new OpError('RATE_LIMITED');
    else if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') e = new OpError('BAD_REQUEST', 'the request body is too large');
    else if (typeof fe.code === 'string' && fe.code.startsWith('FST_ERR_CTP')) e = new OpError('BAD_REQUEST', 'the request body is not valid JSON');
    else e = toOpError(err);
    if (e.code === 'INTERNAL') req.log.error({ err }, 'internal error');
    if (e.errorClass === 'auth') {
      try {
        od.ctx.audit.append({
          kind: e.code.startsWith('AUTH_') ? EVENTS.AUTH_REFUSED : EVENTS.ACCESS_DENIED,
          actor: req.principal?.user ?? 'anonymous',
          tenant: req.principal?.tenant ?? null,
          data: { code: e.code, method: req.method, route: req.routeOptions?.url ?? 'unknown' },
        });
      } catch {
        // The refusal stands even if it could not be logged.
      }
    }
    void reply.status(e.status).send({ error: { code: e.code, class: e.errorClass, message: e.message, ...(e.details && e.status < 500 ? { details: e.details } : {}) } });
  });

  app.setNotFoundHandler((_req, reply) => {
    void reply.status(404).send({ error: { code: 'NOT_FOUND', class: 'input', message: 'No such route' } });
  });

  const auth = async (req: FastifyRequest): Promise<Principal> => {
    if (req.principal) return req.principal;
    const h = req.headers.authorization;
    const m = typeof h === 'string' ? /^Bearer\s+(\S+)$/i.exec(h) : null;
    if (!m) throw new OpError('AUTH_REQUIRED');
    req.principal = await od.principal({ token: m[1]!, via: 'http' });
    return req.principal;
  };

  // Routes live in one plugin registered after the OpenAPI generator and the rate limiter,
  // so both see every route (fastify loads plugins in order).
  void app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Opdomain API', version: '0.1.0', description: 'The operating domain\'s HTTP API. Errors: {error: {code, class, message}} with the codes of docs/errors.md.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      security: [{ bearer: [] }],
    },
  });
  // Browsable API docs at /docs, served from the package (no CDN).
  void app.register(swaggerUi, { routePrefix: '/docs', staticCSP: false, uiConfig: { docExpansion: 'list', deepLinking: false } });
  void app.register(rateLimit, {
    max: opts.rateLimitPerMinute ?? Number(process.env.OPDOMAIN_RATE_LIMIT ?? 600),
    timeWindow: '1 minute',
    keyGenerator: (req) => (typeof req.headers.authorization === 'string' ? req.headers.authorization.slice(-32) : req.ip),
    errorResponseBuilder: (_req, ctx) => ({ statusCode: 429, error: { code: 'RATE_LIMITED', class: 'input', message: `too many requests: at most ${ctx.max} a minute` } }),
  });
  void app.register(async (api) => {
    // Every route answers errors in one documented shape; the main resources have 2xx schemas.
    api.addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      documentRoute(route as Parameters<typeof documentRoute>[0], methods.map((m) => OK_RESPONSES[`${m} ${route.url}`]).find(Boolean), ERROR_BODY);
    });
    // Identity first: an API call without a valid token learns nothing, not even whether its body would validate.
    api.addHook('preValidation', async (req) => {
      if (req.url.startsWith('/api/')) await auth(req);
    });
    // --- public -------------------------------------------------------------
    const index = CONSOLE_FILES.get('index.html')!;
    // The console's own files are not counted against the address's rate: one page load asks for
    // some twenty of them, and they are served from memory.
    const unmetered = { rateLimit: false } as const;
    api.get('/', { schema: { hide: true }, config: unmetered }, async (_req, reply) => reply.type(index.type).send(index.body));
    api.get<{ Params: { '*': string } }>('/console/*', { schema: { hide: true }, config: unmetered }, async (req, reply) => {
      const f = CONSOLE_FILES.get(req.params['*']);
      if (!f) throw new OpError('NOT_FOUND', 'No such file');
      return reply.type(f.type).header('cache-control', 'no-cache').send(f.body);
    });
    api.get('/healthz', async () => ({ ok: true }));
    api.get('/readyz', async () => {
      od.ctx.store.get('SELECT 1');
      return { ok: true, auditEntries: od.ctx.audit.size() };
    });
    api.get('/.well-known/jwks.json', async () => od.jwks());
    api.get('/auth/config', async () => od.ctx.identity.signInOptions());
    api.post<{ Body: { code: string; codeVerifier: string; redirectUri: string } }>(
      '/auth/callback',
      {
        schema: {
          body: {
            type: 'object', required: ['code', 'codeVerifier', 'redirectUri'], additionalProperties: false,
            properties: { code: { type: 'string', minLength: 1, maxLength: 2000 }, codeVerifier: { type: 'string', minLength: 43, maxLength: 128 }, redirectUri: { type: 'string', maxLength: 500 } },
          },
        },
      },
      async (req) => od.signInWithCode(req.body),
    );
    api.get('/auth/dev/jwks.json', async () => {
      if (!od.ctx.identity.devIssuerEnabled) throw new OpError('AUTH_DEV_ISSUER_DISABLED');
      return od.ctx.identity.devIssuerJwks();
    });

    productRoutes(api, od, auth);
    authorityRoutes(api, od, auth);
    importRoutes(api, od, auth);
    privacyRoutes(api, od, auth);

    // --- everyone signed in -------------------------------------------------
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
    api.get('/api/datasets', async (req) => {
      await auth(req);
      return { datasets: od.catalog.list() };
    });
    api.get<{ Params: { id: string } }>('/api/datasets/:id', { schema: { params: idParam } }, async (req) => {
      await auth(req);
      return od.catalog.show(req.params.id);
    });
    api.post<{ Body: { scale: number; seed?: number } }>(
      '/api/datasets/generate',
      { schema: { body: { type: 'object', required: ['scale'], additionalProperties: false, properties: { scale: { type: 'integer', minimum: MIN_SCALE, maximum: MAX_SCALE }, seed: { type: 'integer' } } } } },
      async (req, reply) => reply.status(201).send({ datasets: await od.catalog.generate(await auth(req), req.body) }),
    );
    // A department's CSV, uploaded as the request body (text/csv), imported as a new version.
    api.addContentTypeParser('text/csv', { parseAs: 'string', bodyLimit: 64 * 1024 * 1024 }, (_req, body, done) => done(null, body));
    api.post<{ Params: { id: string }; Body: string }>('/api/datasets/:id/import', { schema: { params: idParam } }, async (req, reply) => {
      const p = await auth(req);
      // The core checks the role too; here it is refused before the upload is written to disk.
      checkRole(p, 'admin');
      if (typeof req.body !== 'string') throw new OpError('BAD_REQUEST', 'send the file as the body with content-type text/csv');
      const dir = mkdtempSync(join(tmpdir(), 'opdomain-upload-'));
      try {
        const file = join(dir, 'upload.csv');
        writeFileSync(file, req.body);
        return reply.status(201).send(await od.catalog.import(p, req.params.id, file));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    // --- jobs ---------------------------------------------------------------
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

    // --- exports ------------------------------------------------------------
    const fixSchema = {
      type: 'object', additionalProperties: false,
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
              jobId: { type: 'string', maxLength: 100 }, output: { type: 'string', maxLength: 100 }, scenario: { type: 'string', maxLength: 100 },
              draft: { type: 'boolean' }, fix: fixSchema, argument: { type: 'string', maxLength: 4000 }, purpose: { type: 'string', maxLength: 2000 },
            },
          },
        },
      },
      async (req, reply) => reply.status(201).send(await od.exports.request(await auth(req), req.body)),
    );
    const changesBody = {
      type: ['object', 'null'], additionalProperties: false,
      properties: { jobId: { type: 'string', maxLength: 100 }, output: { type: 'string', maxLength: 100 }, fix: fixSchema, argument: { type: 'string', maxLength: 4000 } },
    };
    type Changes = { jobId?: string; output?: string; fix?: unknown; argument?: string } | null;
    api.post<{ Params: { id: string }; Body: Changes }>('/api/exports/:id/revise', { schema: { params: idParam, body: changesBody } }, async (req) => od.exports.revise(await auth(req), req.params.id, req.body ?? {}));
    api.post<{ Params: { id: string }; Body: Changes }>('/api/exports/:id/resubmit', { schema: { params: idParam, body: changesBody } }, async (req) => od.exports.resubmit(await auth(req), req.params.id, req.body ?? {}));
    api.post<{ Params: { id: string } }>('/api/exports/:id/submit', { schema: { params: idParam } }, async (req) => od.exports.submit(await auth(req), req.params.id));
    api.post<{ Params: { id: string } }>('/api/exports/:id/withdraw', { schema: { params: idParam } }, async (req) => od.exports.withdraw(await auth(req), req.params.id));
    api.post<{ Params: { id: string }; Body: { reason?: string } | null }>(
      '/api/exports/:id/revoke',
      { schema: { params: idParam, body: { type: ['object', 'null'], additionalProperties: false, properties: { reason: { type: 'string', maxLength: 2000 } } } } },
      async (req) => od.exports.revoke(await auth(req), req.params.id, req.body?.reason),
    );
    api.get('/api/thresholds/floor', async (req) => od.tenants.thresholdFloor(await auth(req)));
    api.put<{ Body: Record<string, number> }>('/api/thresholds/floor', { schema: { body: { type: 'object', maxProperties: 20 } } }, async (req) => od.tenants.setThresholdFloor(await auth(req), req.body));
    api.put<{ Params: { id: string }; Body: Record<string, number> }>(
      '/api/tenants/:id/thresholds',
      { schema: { params: idParam, body: { type: 'object', maxProperties: 20 } } },
      async (req) => od.tenants.setThresholds(await auth(req), req.params.id, req.body),
    );
    api.get<{ Querystring: { state?: string; tenant?: string } }>('/api/exports', async (req) => ({ requests: od.exports.list(await auth(req), req.query) }));
    api.get<{ Params: { id: string } }>('/api/exports/:id', { schema: { params: idParam } }, async (req) => od.exports.get(await auth(req), req.params.id));
    api.get<{ Params: { id: string } }>('/api/exports/:id/output', { schema: { params: idParam } }, async (req) => od.exports.outputOf(await auth(req), req.params.id));
    for (const decision of ['approve', 'return', 'reject'] as const) {
      api.post<{ Params: { id: string }; Body: { comment?: string } | null }>(
        `/api/exports/:id/${decision}`,
        { schema: { params: idParam, body: commentBody } },
        async (req) => od.exports.decide(await auth(req), req.params.id, decision, req.body?.comment),
      );
    }
    api.get<{ Params: { id: string } }>('/api/exports/:id/bundle', { schema: { params: idParam } }, async (req) => od.exports.download(await auth(req), req.params.id));

    // --- lineage and audit --------------------------------------------------
    api.post('/api/lineage/verify', async (req) => od.lineage.verify(await auth(req)));
    api.post<{ Params: { id: string } }>('/api/lineage/replay/:id', { schema: { params: idParam } }, async (req) => od.lineage.replay(await auth(req), req.params.id));
    api.get<{ Params: { id: string }; Querystring: { direction?: 'up' | 'down'; format?: 'json' | 'text' } }>(
      '/api/lineage/trace/:id',
      { schema: { params: idParam } },
      async (req, reply) => {
        const tree = od.lineage.trace(await auth(req), req.params.id, req.query.direction === 'down' ? 'down' : 'up');
        return req.query.format === 'text' ? reply.type('text/plain; charset=utf-8').send(renderTrace(tree) + '\n') : tree;
      },
    );
    api.post<{ Body: { before: string } }>(
      '/api/lineage/purge',
      { schema: { body: { type: 'object', required: ['before'], additionalProperties: false, properties: { before: { type: 'string', maxLength: 40 } } } } },
      async (req) => ({ purged: od.lineage.purge(await auth(req), new Date(req.body.before)) }),
    );
    api.get('/api/lineage/checkpoint', async (req) => od.lineage.latestCheckpoint(await auth(req)));
    api.get<{ Params: { seq: string } }>('/api/audit/entries/:seq', async (req) => od.lineage.prove(await auth(req), Number(req.params.seq)));
    api.get<{ Querystring: { from?: string; to?: string } }>('/api/lineage/consistency', async (req) => od.lineage.consistency(await auth(req), Number(req.query.from), Number(req.query.to)));
    api.get<{ Querystring: { tenant?: string; kind?: string; actor?: string; since?: string; until?: string; after?: string; before?: string; limit?: string; order?: string } }>('/api/audit', async (req) => {
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
          ...(q.tenant ? { tenant: q.tenant } : {}), ...(q.kind ? { kind: q.kind } : {}), ...(q.actor ? { actor: q.actor } : {}),
          ...(since ? { since } : {}), ...(until ? { until } : {}), ...(afterSeq ? { afterSeq } : {}), ...(beforeSeq ? { beforeSeq } : {}),
          limit, newestFirst: q.order === 'desc',
        }),
      };
    });

    // --- authorizations (supervision view, R12) -----------------------------
    api.get('/api/tenants', async (req) => ({ tenants: od.tenants.list(await auth(req)) }));
    api.post<{ Body: AuthorizationSpec; Querystring: { provision?: string } }>(
      '/api/tenants',
      {
        schema: {
          body: {
            type: 'object', required: ['id', 'org', 'scenarios', 'grants', 'termEnd', 'justification'], additionalProperties: false,
            properties: {
              id: { type: 'string', maxLength: 40 }, org: { type: 'string', maxLength: 200 }, termEnd: { type: 'string', maxLength: 40 },
              scenarios: { type: 'array', maxItems: 50, items: { type: 'string', maxLength: 64 } },
              grants: { type: 'array', maxItems: 50, items: { type: 'object', required: ['dataset'], additionalProperties: false, properties: { dataset: { type: 'string', maxLength: 64 }, fields: { type: 'array', maxItems: 200, items: { type: 'string', maxLength: 64 } } } } },
              justification: { type: 'object', maxProperties: 500, additionalProperties: { type: 'array', maxItems: 50, items: { type: 'string', maxLength: 64 } } },
              emergencyPlan: { type: 'object', additionalProperties: false, required: ['summary', 'contact'], properties: { summary: { type: 'string', maxLength: 20000 }, contact: { type: 'string', maxLength: 500 }, approvedAt: { type: 'string', maxLength: 40 } } },
              overrides: { type: 'object', maxProperties: 500 }, limits: { type: 'object', maxProperties: 20 }, thresholds: { type: 'object', maxProperties: 20 },
              devSamplePercent: { type: 'number', minimum: 1, maximum: 100 },
            },
          },
        },
      },
      async (req, reply) => reply.status(201).send(await od.tenants.create(await auth(req), req.body, { provision: req.query.provision !== 'false' })),
    );
    api.get<{ Params: { id: string } }>('/api/tenants/:id', { schema: { params: idParam } }, async (req) => od.tenants.get(await auth(req), req.params.id));
    api.get<{ Params: { id: string } }>('/api/tenants/:id/schema', { schema: { params: idParam } }, async (req) => od.catalog.schemaOf(await auth(req), req.params.id));
    api.put<{ Params: { id: string }; Body: unknown }>('/api/tenants/:id/emergency-plan', { schema: { params: idParam, body: { type: 'object', maxProperties: 3 } } }, async (req) => od.tenants.setEmergencyPlan(await auth(req), req.params.id, req.body));
    api.get('/api/supervision', async (req) => od.supervision.overview(await auth(req)));

    // --- people (R22) -------------------------------------------------------
    api.get<{ Querystring: { tenant?: string } }>('/api/people', async (req) => ({ people: od.people.list(await auth(req), req.query) }));
    api.post<{ Body: unknown }>('/api/people', { schema: { body: { type: 'object', maxProperties: 10 } } }, async (req, reply) => reply.status(201).send(od.people.register(await auth(req), req.body)));
    api.get<{ Params: { id: string } }>('/api/people/:id', { schema: { params: idParam } }, async (req) => od.people.get(await auth(req), req.params.id));
    api.patch<{ Params: { id: string }; Body: { verified?: boolean; agreementUntil?: string | null } }>(
      '/api/people/:id',
      { schema: { params: idParam, body: { type: 'object', additionalProperties: false, properties: { verified: { type: 'boolean' }, agreementUntil: { type: ['string', 'null'], maxLength: 40 }, level: { type: 'string', enum: ['province', 'city', 'county'] } } } } },
      async (req) => od.people.update(await auth(req), req.params.id, req.body),
    );
    for (const act of ['disable', 'enable'] as const) {
      api.post<{ Params: { id: string }; Body: { reason?: string } | null }>(
        `/api/people/:id/${act}`,
        { schema: { params: idParam, body: { type: ['object', 'null'], additionalProperties: false, properties: { reason: { type: 'string', maxLength: 2000 } } } } },
        async (req) => od.people[act](await auth(req), req.params.id, req.body?.reason),
      );
    }
    api.post<{ Params: { id: string } }>('/api/tenants/:id/build', { schema: { params: idParam } }, async (req) => od.tenants.build(await auth(req), req.params.id));
    for (const action of ['suspend', 'resume', 'terminate', 'seal', 'destroy'] as const) {
      api.post<{ Params: { id: string }; Body: { reason?: string } | null }>(
        `/api/tenants/:id/${action}`,
        { schema: { params: idParam, body: { type: ['object', 'null'], additionalProperties: false, properties: { reason: { type: 'string', maxLength: 2000 } } } } },
        async (req) => od.tenants.transition(await auth(req), req.params.id, action, req.body?.reason),
      );
    }

    // --- risk stops (R19, R29) ----------------------------------------------
    const textBody = (field: string) => ({ type: 'object', required: [field], additionalProperties: false, properties: { [field]: { type: 'string', minLength: 10, maxLength: 4000 } } });
    api.post<{ Params: { id: string }; Body: { reason: string } }>('/api/tenants/:id/risk-stops', { schema: { params: idParam, body: textBody('reason') } }, async (req, reply) => reply.status(201).send(od.risks.raise(await auth(req), req.params.id, req.body.reason)));
    api.get<{ Querystring: { tenant?: string } }>('/api/risk-stops', { schema: { querystring: { type: 'object', properties: { tenant: { type: 'string', maxLength: 40 } } } } }, async (req) => ({ riskStops: od.risks.list(await auth(req), req.query.tenant) }));
    api.get<{ Params: { id: string } }>('/api/risk-stops/:id', { schema: { params: idParam } }, async (req) => od.risks.get(await auth(req), req.params.id));
    for (const action of ['confirm', 'resolve', 'dismiss'] as const) {
      api.post<{ Params: { id: string }; Body: { resolution: string } }>(`/api/risk-stops/:id/${action}`, { schema: { params: idParam, body: textBody('resolution') } }, async (req) => od.risks.decide(await auth(req), req.params.id, action, req.body.resolution));
    }

    api.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  });

  // A checkpoint after writes keeps the log's signed size close to its real size.
  let pending: NodeJS.Timeout | undefined;
  app.addHook('onResponse', async (req) => {
    if (req.method === 'GET' || pending) return;
    pending = setTimeout(() => {
      pending = undefined;
      od.lineage.checkpoint().catch((err) => app.log.error({ err }, 'checkpoint failed'));
    }, 1000);
    pending.unref();
  });
  app.addHook('onClose', async () => {
    if (pending) clearTimeout(pending);
  });
  return app;
}
