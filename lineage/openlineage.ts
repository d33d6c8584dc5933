// OpenLineage RunEvents for jobs (START, then COMPLETE or FAIL) with the schema, sql,
// sourceCode, parent, errorMessage and columnLineage facets. Written to
// <home>/audit/openlineage.jsonl and, when OPDOMAIN_OPENLINEAGE_URL is set, POSTed to it
// (e.g. Marquez's /api/v1/lineage). Validated against the OpenLineage JSON Schemas in tests.
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export const PRODUCER = 'https://opdomain.local/producer/0.1.0';
const SPEC = 'https://openlineage.io/spec';
const RUN_EVENT_SCHEMA = `${SPEC}/2-0-2/OpenLineage.json#/$defs/RunEvent`;

export interface LineageInput {
  readonly table: string;
  readonly column: string;
  readonly type: string;
  readonly subtype: string;
}

export interface JobLineageInfo {
  readonly jobId: string;
  readonly tenant: string;
  readonly env: 'dev' | 'prod';
  readonly scriptHash: string;
  readonly script: string;
  readonly buildId: string | null;
  readonly queries: readonly {
    readonly sql: string;
    readonly tables: readonly string[];
    readonly resultColumns?: readonly string[];
    readonly lineage?: { fields: Readonly<Record<string, readonly LineageInput[]>>; dataset: readonly LineageInput[] } | null;
  }[];
  readonly tableSchemas: (table: string) => readonly { name: string; type: string }[];
  readonly outputs?: readonly { name: string; columns: readonly { name: string; type: string }[] }[];
  readonly error?: { code: string; title: string };
}

/** A stable UUID (RFC 4122 layout, version 5 style) derived from a name. */
export function uuidFor(name: string): string {
  const h = createHash('sha256').update(`opdomain:${name}`).digest('hex');
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const facet = (name: string, version: string, body: Record<string, unknown>) => ({
  _producer: PRODUCER,
  _schemaURL: `${SPEC}/facets/${version}/${name}.json#/$defs/${name}`,
  ...body,
});

export function runEvent(eventType: 'START' | 'COMPLETE' | 'FAIL', info: JobLineageInfo, eventTime = new Date()): Record<string, unknown> {
  const namespace = `opdomain/${info.tenant}`;
  const inputNamespace = `duckdb://opdomain/${info.tenant}/${info.env}`;
  const runFacets: Record<string, unknown> = {};
  if (info.buildId) {
    runFacets.parent = facet('ParentRunFacet', '1-2-0', {
      run: { runId: uuidFor(`build:${info.buildId}`) },
      job: { namespace, name: `build.${info.buildId}` },
    });
  }
  if (eventType === 'FAIL' && info.error) {
    // Only the code and its title: a message could quote data values.
    runFacets.errorMessage = facet('ErrorMessageRunFacet', '1-0-1', { message: `${info.error.code}: ${info.error.title}`, programmingLanguage: 'javascript' });
  }
  const sqlText = info.queries.map((q) => q.sql.trim()).join(';\n');
  const jobFacets: Record<string, unknown> = {
    sourceCode: facet('SourceCodeJobFacet', '1-0-1', { language: 'javascript', sourceCode: info.script }),
    ...(sqlText ? { sql: facet('SQLJobFacet', '1-1-0', { query: sqlText, dialect: 'duckdb' }) } : {}),
  };
  const tables = [...new Set(info.queries.flatMap((q) => q.tables))].sort();
  const inputs =
    eventType === 'START'
      ? []
      : tables.map((t) => {
          const fields = info.tableSchemas(t);
          return {
            namespace: inputNamespace,
            name: t,
            ...(fields.length
              ? { facets: { schema: facet('SchemaDatasetFacet', '1-2-0', { fields: fields.map((f) => ({ name: f.name, type: f.type })) }) } }
              : {}),
          };
        });
  const outputs = (eventType === 'COMPLETE' ? (info.outputs ?? []) : []).map((o) => {
    const names = o.columns
      .map((c) => c.name.toLowerCase())
      .sort()
      .join(',');
    const source = info.queries.find(
      (q) =>
        q.lineage &&
        q.resultColumns &&
        [...q.resultColumns]
          .map((c) => c.toLowerCase())
          .sort()
          .join(',') === names,
    );
    const input = (i: LineageInput) => ({
      namespace: inputNamespace,
      name: i.table,
      field: i.column,
      transformations: [{ type: i.type, subtype: i.subtype, masking: false }],
    });
    const columnLineage = source?.lineage
      ? {
          columnLineage: facet('ColumnLineageDatasetFacet', '1-2-0', {
            fields: Object.fromEntries(o.columns.map((c) => [c.name, { inputFields: (source.lineage!.fields[c.name.toLowerCase()] ?? []).map(input) }])),
            dataset: source.lineage.dataset.map(input),
          }),
        }
      : {};
    return {
      namespace: `opdomain://${info.tenant}/outputs`,
      name: `${info.jobId}/${o.name}`,
      facets: { schema: facet('SchemaDatasetFacet', '1-2-0', { fields: o.columns.map((c) => ({ name: c.name, type: c.type })) }), ...columnLineage },
    };
  });
  return {
    eventType,
    eventTime: eventTime.toISOString(),
    producer: PRODUCER,
    schemaURL: RUN_EVENT_SCHEMA,
    run: { runId: uuidFor(`job:${info.jobId}`), facets: runFacets },
    job: { namespace, name: `script.${info.scriptHash.slice(0, 16)}`, facets: jobFacets },
    inputs,
    outputs,
  };
}

/** Appends events to a JSON-lines file and optionally POSTs them; never fails the job. */
export class OpenLineageSink {
  /** Kept open in append mode: an open and close per event cost more than the write. */
  private fd: number | null = null;

  constructor(
    private readonly file: string,
    private readonly url = process.env.OPDOMAIN_OPENLINEAGE_URL,
  ) {}

  emit(event: Record<string, unknown>): void {
    try {
      if (this.fd === null) {
        mkdirSync(dirname(this.file), { recursive: true });
        this.fd = openSync(this.file, 'a');
      }
      // One write call per line: O_APPEND keeps lines whole beside other processes' appends.
      writeSync(this.fd, `${JSON.stringify(event)}\n`);
    } catch (err) {
      this.close();
      process.emitWarning(`OpenLineage event not written: ${(err as Error).message}`);
    }
    if (this.url) {
      fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(event),
        signal: AbortSignal.timeout(2000),
      }).catch((err) => process.emitWarning(`OpenLineage event not delivered: ${(err as Error).message}`));
    }
  }

  close(): void {
    if (this.fd === null) return;
    try {
      closeSync(this.fd);
    } catch {
      // Already closed or gone: nothing more to release.
    }
    this.fd = null;
  }
}
