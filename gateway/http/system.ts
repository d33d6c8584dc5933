// Routes anyone may call: the console's files, health, the domain's public keys, sign-in.
import type { FastifyInstance } from 'fastify';
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OpError } from '../../errors/index.ts';
import type { Opdomain } from '../../services/index.ts';
import type { Auth } from './shared.ts';

// The console's files, read once: served from the same origin, nothing from a CDN.
const CONSOLE_DIR = fileURLToPath(new URL('../console/', import.meta.url));
const CONSOLE_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};
const CONSOLE_FILES = new Map<string, { type: string; body: string }>();
(function load(dir: string, prefix: string) {
  for (const name of readdirSync(dir, { withFileTypes: true })) {
    if (name.isDirectory()) load(join(dir, name.name), `${prefix}${name.name}/`);
    else if (CONSOLE_TYPES[extname(name.name)])
      CONSOLE_FILES.set(`${prefix}${name.name}`, { type: CONSOLE_TYPES[extname(name.name)]!, body: readFileSync(join(dir, name.name), 'utf8') });
  }
})(CONSOLE_DIR, '');

export function systemRoutes(api: FastifyInstance, od: Opdomain, _auth: Auth): void {
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
          type: 'object',
          required: ['code', 'codeVerifier', 'redirectUri'],
          additionalProperties: false,
          properties: {
            code: { type: 'string', minLength: 1, maxLength: 2000 },
            codeVerifier: { type: 'string', minLength: 43, maxLength: 128 },
            redirectUri: { type: 'string', maxLength: 500 },
          },
        },
      },
    },
    async (req) => od.signInWithCode(req.body),
  );
  api.get('/auth/dev/jwks.json', async () => {
    if (!od.ctx.identity.devIssuerEnabled) throw new OpError('AUTH_DEV_ISSUER_DISABLED');
    return od.ctx.identity.devIssuerJwks();
  });
}
