// Every job emits OpenLineage RunEvents (START, then COMPLETE or FAIL) that validate against
// the OpenLineage JSON Schemas in ../shared/vectors/openlineage (read there, not copied), with
// column-level lineage from the SQL.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoDomain, INCOME_SCRIPT } from './helpers.ts';

const SPEC = new URL('../../shared/vectors/openlineage/spec/', import.meta.url).pathname;
const have = existsSync(SPEC);

type Domain = Awaited<ReturnType<typeof demoDomain>>;
let d: Domain;
beforeAll(async () => {
  d = await demoDomain({ workerPool: 1 });
});
afterAll(async () => d?.close());

function validators() {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  (addFormats as unknown as (a: Ajv2020) => void)(ajv);
  ajv.addSchema(JSON.parse(readFileSync(join(SPEC, 'OpenLineage.json'), 'utf8')));
  const facets = new Map<string, ReturnType<Ajv2020['compile']>>();
  for (const f of readdirSync(join(SPEC, 'facets')).filter((x) => x.endsWith('.json'))) {
    const schema = JSON.parse(readFileSync(join(SPEC, 'facets', f), 'utf8'));
    ajv.addSchema(schema);
    for (const key of Object.keys(schema.properties ?? {})) facets.set(`${key}:${f.replace('.json', '')}`, ajv.getSchema(schema.$id)!);
  }
  const runEvent = ajv.getSchema('https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent')!;
  const facetFor = (key: string, schemaURL: string) => {
    const name = schemaURL.split('#/$defs/')[1]!;
    return facets.get(`${key}:${name}`);
  };
  return { runEvent, facetFor, ajv };
}

describe.skipIf(!have)('OpenLineage events (../shared/vectors/openlineage)', () => {
  it('validate against the spec, facet by facet, for a completed and a failed job', async () => {
    const alice = await d.od.principal({ as: 'alice' });
    const ok = await d.od.jobs.run(alice, { tenant: 'demo', env: 'prod', script: INCOME_SCRIPT });
    const bad = await d.od.jobs.run(alice, {
      tenant: 'demo',
      env: 'prod',
      script: "await sql('SELECT county_code, gender FROM population'); throw new Error('x')",
    });
    expect(ok.ok).toBe(true);
    expect(bad.ok).toBe(false);
    const events = readFileSync(join(d.home, 'audit', 'openlineage.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const { runEvent, facetFor, ajv } = validators();
    let facetsChecked = 0;
    for (const ev of events) {
      expect(runEvent(ev), ajv.errorsText(runEvent.errors)).toBe(true);
      const all: [string, { _schemaURL: string }][] = [
        ...Object.entries(ev.run.facets ?? {}),
        ...Object.entries(ev.job.facets ?? {}),
        ...[...ev.inputs, ...ev.outputs].flatMap((ds: { facets?: Record<string, { _schemaURL: string }> }) => Object.entries(ds.facets ?? {})),
      ] as [string, { _schemaURL: string }][];
      for (const [key, value] of all) {
        const v = facetFor(key, value._schemaURL);
        expect(v, `no schema for facet ${key} (${value._schemaURL})`).toBeDefined();
        expect(v!({ [key]: value }), `${key}: ${ajv.errorsText(v!.errors)}`).toBe(true);
        facetsChecked++;
      }
    }
    expect(facetsChecked).toBeGreaterThan(8);
    const complete = events.find((e) => e.eventType === 'COMPLETE' && e.outputs.some((o: { name: string }) => o.name === `${ok.jobId}/income_by_county`));
    expect(complete).toBeDefined();
    const start = events.find((e) => e.eventType === 'START' && e.run.runId === complete.run.runId);
    expect(start).toBeDefined();
    expect(complete.job.facets.sql.query).toContain('social_insurance');
    expect(complete.job.facets.sourceCode.sourceCode).toBe(INCOME_SCRIPT);
    expect(complete.run.facets.parent.job.name).toMatch(/^build\./);
    expect(complete.inputs.map((i: { name: string }) => i.name)).toEqual(['population', 'social_insurance']);
    const cl = complete.outputs[0].facets.columnLineage;
    expect(cl.fields.county_code.inputFields).toEqual([
      expect.objectContaining({
        name: 'population',
        field: 'county_code',
        transformations: [expect.objectContaining({ type: 'DIRECT', subtype: 'IDENTITY' })],
      }),
    ]);
    expect(cl.fields.people.inputFields).toEqual([
      expect.objectContaining({ name: 'population', field: 'id_card', transformations: [expect.objectContaining({ subtype: 'AGGREGATION' })] }),
    ]);
    expect(cl.fields.avg_base.inputFields[0]).toMatchObject({ name: 'social_insurance', field: 'base_amount' });
    expect(cl.dataset).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          name: 'social_insurance',
          field: 'month',
          transformations: [expect.objectContaining({ type: 'INDIRECT', subtype: 'FILTER' })],
        }),
        expect.objectContaining({ name: 'social_insurance', field: 'id_card', transformations: [expect.objectContaining({ subtype: 'JOIN' })] }),
        expect.objectContaining({ name: 'population', field: 'county_code', transformations: [expect.objectContaining({ subtype: 'GROUP_BY' })] }),
      ]),
    );
    const fail = events.find((e) => e.eventType === 'FAIL');
    expect(fail.run.facets.errorMessage.message).toMatch(/^SANDBOX_SCRIPT_ERROR: /);
    // Column lineage is in the audit log too.
    const q = d.od.ctx.audit.entries({ subject: ok.jobId, kind: 'QUERY' })[0]!;
    expect((q.data.lineage as { fields: Record<string, unknown> }).fields).toHaveProperty('avg_base');
  });
});
