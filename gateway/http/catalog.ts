// The catalog: datasets, sample data, a department's file imported as a new version.
import type { FastifyInstance } from 'fastify';
import { OpError } from '../../errors/index.ts';
import { MAX_SCALE, MIN_SCALE } from '../../datasets/index.ts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkRole, type Opdomain } from '../../services/index.ts';
import { type Auth, idParam } from './shared.ts';

export function catalogRoutes(api: FastifyInstance, od: Opdomain, auth: Auth): void {
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
    {
      schema: {
        body: {
          type: 'object',
          required: ['scale'],
          additionalProperties: false,
          properties: { scale: { type: 'integer', minimum: MIN_SCALE, maximum: MAX_SCALE }, seed: { type: 'integer' } },
        },
      },
    },
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
}
