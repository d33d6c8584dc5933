// Operators' own data over HTTP (R13): declare, stream the file up, decide, look. The upload
// is the request body itself (text/csv or application/octet-stream for Parquet), streamed to
// disk inside the domain and checked there; nothing is buffered in memory.
import { createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { OpError } from '../../errors/index.ts';
import type { Opdomain } from '../../services/index.ts';
import type { Auth } from './shared.ts';

const id = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 100 } } } as const;
const MAX_UPLOAD_BYTES = 20 * 1024 * 1024 * 1024;

export function importRoutes(api: FastifyInstance, od: Opdomain, auth: Auth): void {
  api.register(async (scope) => {
    // Raw bodies stay streams: the route writes them to disk as they arrive.
    for (const type of ['text/csv', 'application/octet-stream', 'application/vnd.apache.parquet']) {
      if (scope.hasContentTypeParser(type)) scope.removeContentTypeParser(type);
      scope.addContentTypeParser(type, (_req, payload, done) => done(null, payload));
    }
    scope.route<{ Params: { id: string }; Querystring: { format?: 'csv' | 'parquet' } }>({
      method: ['PUT', 'POST'],
      url: '/api/imports/:id/file',
      bodyLimit: MAX_UPLOAD_BYTES,
      schema: {
        params: id,
        querystring: { type: 'object', additionalProperties: false, properties: { format: { type: 'string', enum: ['csv', 'parquet'] } } },
      },
      handler: async (req) => {
        const p = await auth(req);
        const format = req.query.format ?? (String(req.headers['content-type'] ?? '').startsWith('text/csv') ? 'csv' : 'parquet');
        const tmp = join(od.ctx.paths.root, 'tmp', `upload-${randomUUID()}.${format}`);
        mkdirSync(join(od.ctx.paths.root, 'tmp'), { recursive: true });
        try {
          if (!req.body || typeof (req.body as NodeJS.ReadableStream).pipe !== 'function')
            throw new OpError('IMPORT_INVALID', 'send the file as the request body (text/csv or application/octet-stream)');
          await pipeline(req.body as NodeJS.ReadableStream, createWriteStream(tmp));
          return await od.imports.upload(p, req.params.id, tmp, format);
        } finally {
          rmSync(tmp, { force: true });
        }
      },
    });
  });
  api.post('/api/imports', { schema: { body: { type: 'object', maxProperties: 12 } } }, async (req, reply) =>
    reply.status(201).send(od.imports.request(await auth(req), req.body as Record<string, unknown>)),
  );
  api.get<{ Querystring: { tenant?: string; state?: string } }>(
    '/api/imports',
    {
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { tenant: { type: 'string', maxLength: 100 }, state: { type: 'string', maxLength: 20 } },
        },
      },
    },
    async (req) => ({ imports: od.imports.list(await auth(req), req.query) }),
  );
  api.get<{ Params: { id: string } }>('/api/imports/:id', { schema: { params: id } }, async (req) => od.imports.show(await auth(req), req.params.id));
  for (const decision of ['approve', 'return'] as const) {
    api.post<{ Params: { id: string }; Body: { comment?: string } | null }>(`/api/imports/:id/${decision}`, { schema: { params: id } }, async (req) =>
      od.imports.vote(await auth(req), req.params.id, decision, req.body?.comment),
    );
  }
  api.post<{ Params: { id: string } }>('/api/imports/:id/withdraw', { schema: { params: id } }, async (req) =>
    od.imports.withdraw(await auth(req), req.params.id),
  );
  api.post<{ Params: { id: string }; Body: Record<string, unknown> }>(
    '/api/tenants/:id/usage',
    { schema: { params: id, body: { type: 'object', required: ['usage'], properties: { usage: { type: 'object', maxProperties: 500 } } } } },
    async (req) => od.tenants.setUsage(await auth(req), req.params.id, req.body.usage),
  );
}
