// Each served version describes itself: an OpenAPI 3.1 document generated from its parameter
// schema and output columns, with the key and scenario headers, the errors a consumer meets
// and an example call. Nothing here is written by hand per product.
import type { ProductSpec } from './spec.ts';
import { sampleParams } from './params.ts';

export const API_KEY_HEADER = 'x-api-key';
/** Query-string names that would carry a key: a call with one is refused, so no parameter may be named so. */
export const KEY_PARAMETER_NAMES: ReadonlySet<string> = new Set(['api_key', 'apikey', 'api-key', 'x-api-key', 'access_key', 'key']);
/** Every key begins so; a query value that does is taken for a key in the URL. */
export const KEY_PREFIX = 'odk_';
export const SCENARIO_HEADER = 'x-scenario';

const ERROR = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'class', 'message'],
      properties: { code: { type: 'string' }, class: { type: 'string' }, message: { type: 'string' } },
    },
  },
} as const;

const RATE_HEADERS = {
  'RateLimit-Limit': { description: 'Calls allowed in the current window (the tighter of per minute and per day).', schema: { type: 'integer' } },
  'RateLimit-Remaining': { description: 'Calls left in that window.', schema: { type: 'integer' } },
  'RateLimit-Reset': { description: 'Seconds until that window starts again.', schema: { type: 'integer' } },
} as const;

export function productOpenApi(spec: ProductSpec, version: number, hash: string): Record<string, unknown> {
  const path = `/products/${spec.product}/v${version}`;
  const example = sampleParams(spec, 1)[0] ?? {};
  const error = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });
  const row = {
    type: 'object',
    required: spec.columns.map((c) => c.name),
    properties: Object.fromEntries(
      spec.columns.map((c) => [c.name, { type: ['number', 'string', 'boolean', 'null'], ...(c.description ? { description: c.description } : {}) }]),
    ),
  };
  return {
    openapi: '3.1.0',
    info: {
      title: spec.title,
      version: `v${version}`,
      description: `Data product ${spec.product}, version ${version} (sha256 ${hash}). Rows resting on fewer than ${spec.controls.minUnits} ${spec.unit === 'person' ? 'persons' : 'enterprises'} are not returned; measures are rounded to multiples of ${spec.controls.roundTo}; at most ${spec.controls.rowCap} rows a call.${spec.price ? ` Price: ${spec.price}` : ''}`,
    },
    paths: {
      [path]: {
        get: {
          operationId: `${spec.product.replaceAll('-', '_')}_v${version}`,
          summary: spec.title,
          security: [{ apiKey: [] }],
          parameters: [
            ...Object.entries(spec.parameters.properties).map(([name, { description, example: _example, title: _title, ...schema }]) => ({
              name,
              in: 'query',
              required: spec.parameters.required.includes(name),
              schema,
              ...(description ? { description } : {}),
              example: example[name],
            })),
            {
              name: SCENARIO_HEADER,
              in: 'header',
              required: true,
              description: 'The scenario the call is made for; it must be the one granted.',
              schema: { type: 'string', enum: [spec.scenario] },
            },
          ],
          responses: {
            '200': {
              description: 'The product rows after the call-time controls.',
              headers: RATE_HEADERS,
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['product', 'version', 'columns', 'rows', 'suppressedRows'],
                    properties: {
                      product: { type: 'string' },
                      version: { type: 'integer' },
                      columns: { type: 'array', items: { type: 'string' } },
                      rows: { type: 'array', items: row },
                      suppressedRows: {
                        type: 'integer',
                        description: 'Rows withheld by the controls (small or dominated groups, margins over them, rows over the cap).',
                      },
                      callId: { type: 'string' },
                    },
                  },
                },
                'text/csv': { schema: { type: 'string' } },
              },
            },
            '400': error('A parameter is unknown, missing, repeated, of the wrong type or out of range; nothing ran.'),
            '401': error('No API key, or a key that is unknown, expired or revoked.'),
            '403': error(
              'No valid grant for this product version and scenario, the authorization is not active, or the call would difference a small group out of earlier answers.',
            ),
            '404': error('No such product version is served.'),
            '429': {
              ...error('A quota is used up: see Retry-After.'),
              headers: { 'Retry-After': { description: 'Seconds to wait.', schema: { type: 'integer' } }, ...RATE_HEADERS },
            },
            '503': error('The quota counters or the audit log could not be written: the call is refused rather than served.'),
          },
        },
      },
    },
    components: {
      securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: API_KEY_HEADER } },
      schemas: { Error: ERROR },
    },
  };
}
