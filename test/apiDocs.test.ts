// The API documents itself: every operation has a summary, a description and a success schema;
// every parameter a description; every JSON body an example; the docs table names only routes
// that exist. /docs serves the browsable page under the gateway's own security policy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp, Opdomain } from '../gateway/index.ts';
import { ROUTE_DOCS } from '../gateway/http/routeDocs.ts';
import { tempHome } from './helpers.ts';

type Operation = {
  summary?: string;
  description?: string;
  tags?: string[];
  parameters?: { name: string; in: string; description?: string }[];
  requestBody?: { content?: Record<string, { schema?: { examples?: unknown[] }; example?: unknown; examples?: unknown }> };
  responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>;
};

const home = tempHome();
let od: Opdomain;
let app: FastifyInstance;
let doc: { paths: Record<string, Record<string, Operation>> };

beforeAll(async () => {
  od = await Opdomain.open({ home: home.dir });
  app = buildApp(od);
  await app.ready();
  doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
});
afterAll(async () => {
  await app.close();
  await od.close();
  home.cleanup();
});

const operations = () =>
  Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ key: `${method.toUpperCase()} ${path}`, op })));

describe('API docs worth reading', () => {
  it('every operation has a summary, a description, a tag and a success schema', () => {
    const lacking: string[] = [];
    for (const { key, op } of operations()) {
      if (!op.summary?.trim()) lacking.push(`${key}: summary`);
      if (!op.description?.trim() || op.description.length < 20) lacking.push(`${key}: description`);
      if (!op.tags?.length) lacking.push(`${key}: tag`);
      const ok = Object.entries(op.responses ?? {}).find(([status]) => /^2/.test(status));
      if (!ok?.[1].content?.['application/json']?.schema) lacking.push(`${key}: 2xx schema`);
    }
    expect(operations().length).toBeGreaterThan(100);
    expect(lacking).toEqual([]);
  });

  it('every parameter is described, and every JSON body carries an example', () => {
    const lacking: string[] = [];
    for (const { key, op } of operations()) {
      for (const p of op.parameters ?? []) if (!p.description?.trim()) lacking.push(`${key}: ${p.in} ${p.name}`);
      const json = op.requestBody?.content?.['application/json'];
      if (json && json.example === undefined && json.examples === undefined && !json.schema?.examples?.length) lacking.push(`${key}: body example`);
    }
    expect(lacking).toEqual([]);
  });

  it('documents routes that exist, and query parameters the routes read', () => {
    const paths = new Set(operations().map((o) => o.key.replace(/\{([^}]+)\}/g, ':$1')));
    expect(Object.keys(ROUTE_DOCS).filter((k) => !paths.has(k))).toEqual([]);
    const audit = doc.paths['/api/audit']!.get!;
    expect(
      audit
        .parameters!.filter((p) => p.in === 'query')
        .map((p) => p.name)
        .sort(),
    ).toEqual(['actor', 'after', 'before', 'kind', 'limit', 'order', 'since', 'tenant', 'until']);
  });

  it('/docs is served from the package under a policy that lets its own page load', async () => {
    const page = await app.inject({ method: 'GET', url: '/docs/' });
    expect([200, 302]).toContain(page.statusCode);
    const csp = String(page.headers['content-security-policy']);
    // The page's logo and icons are data: images; scripts and styles come from the gateway itself.
    expect(csp).toMatch(/img-src 'self' data:/);
    expect(csp).toMatch(/script-src 'self'(;|$)/);
  });
});
