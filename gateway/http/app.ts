// The HTTP API (fastify, JSON, bearer tokens). buildApp() returns the app without listening,
// so tests drive it in-process with inject(). Every error body is {error:{code, class, message}}
// with the registry's status; every refusal of identity or access is audited.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import rateLimit from '@fastify/rate-limit';
import { OpError, toOpError } from '../../errors/index.ts';
import { EVENTS } from '../../lineage/index.ts';
import type { Opdomain, Principal } from '../../services/index.ts';
import { documentRoute } from './routeDocs.ts';
import { ERROR_BODY, OK_RESPONSES } from './schemas.ts';
import { productRoutes } from './products.ts';
import { authorityRoutes } from './authority.ts';
import { importRoutes } from './imports.ts';
import { privacyRoutes } from './privacy.ts';
import { systemRoutes } from './system.ts';
import { identityRoutes } from './identity.ts';
import { catalogRoutes } from './catalog.ts';
import { jobsRoutes } from './jobs.ts';
import { exportsRoutes } from './exports.ts';
import { lineageRoutes } from './lineage.ts';
import { authorizationsRoutes } from './authorizations.ts';
import { peopleRoutes } from './people.ts';
import { nodesRoutes } from './nodes.ts';
import { riskStopsRoutes } from './riskStops.ts';

/** One file per resource group, each registering its routes on the API plugin. */
const ROUTE_GROUPS = [
  systemRoutes,
  identityRoutes,
  catalogRoutes,
  jobsRoutes,
  exportsRoutes,
  lineageRoutes,
  authorizationsRoutes,
  peopleRoutes,
  riskStopsRoutes,
  nodesRoutes,
  productRoutes,
  authorityRoutes,
  importRoutes,
  privacyRoutes,
] as const;

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
    reply.header(
      'content-security-policy',
      "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
    );
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
    void reply
      .status(e.status)
      .send({ error: { code: e.code, class: e.errorClass, message: e.message, ...(e.details && e.status < 500 ? { details: e.details } : {}) } });
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
  // so both see every route (fastify loads plugins in order); one file per resource group.
  void app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Opdomain API',
        version: '0.1.0',
        description: "The operating domain's HTTP API. Errors: {error: {code, class, message}} with the codes of docs/errors.md.",
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      security: [{ bearer: [] }],
    },
  });
  // Browsable API docs at /docs, served from the package (no CDN).
  void app.register(swaggerUi, { routePrefix: '/docs', staticCSP: false, uiConfig: { docExpansion: 'list', deepLinking: false } });
  // Counted in the control store's file, so every gateway on this home gives one answer.
  const rates = od.ctx.rates;
  class SharedCounts {
    incr(key: string, cb: (err: Error | null, res?: { current: number; ttl: number }) => void, timeWindow: number, max: number): void {
      let counted: { current: number; ttl: number };
      try {
        // Per limit as well as per key: gateways configured alike share a count.
        counted = rates.incr(`${max}/${key}`, timeWindow);
      } catch (err) {
        cb(err as Error);
        return;
      }
      cb(null, counted);
    }
    child(): SharedCounts {
      return this;
    }
  }
  void app.register(rateLimit, {
    max: opts.rateLimitPerMinute ?? Number(process.env.OPDOMAIN_RATE_LIMIT ?? 600),
    timeWindow: '1 minute',
    store: SharedCounts,
    keyGenerator: (req) => (typeof req.headers.authorization === 'string' ? req.headers.authorization.slice(-32) : req.ip),
    errorResponseBuilder: (_req, ctx) => ({
      statusCode: 429,
      error: { code: 'RATE_LIMITED', class: 'input', message: `too many requests: at most ${ctx.max} a minute` },
    }),
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
    for (const group of ROUTE_GROUPS) group(api, od, auth);

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
