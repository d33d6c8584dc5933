// Runs one job inside the current (worker) process: a fresh connection to the tenant's
// locked-down read-only DuckDB instance the worker holds open, a fresh isolate with the SDK,
// host-enforced CPU and wall-clock limits, every sql() gated and audited before its answer reaches the script.
import { createHash } from 'node:crypto';
import { writeSync } from 'node:fs';
import ivm from 'isolated-vm';
import { DuckDBResultReader, type DuckDBConnection, type DuckDBPreparedStatement, type DuckDBResult, type DuckDBValue } from '@duckdb/node-api';
import { OpError, isErrorCode, toOpError, type ErrorCode } from '../errors/index.ts';
import type { TenantDb } from './tenantDb.ts';
import { normalizeOutput } from './outputs.ts';
import { checkDeclared } from './manifest.ts';
import { ISOLATE_OOM_MARKER, type JobError, type JobOutput, type JobSpec, type QueryEvent, type WorkerResult } from './protocol.ts';
import { SDK_BOOTSTRAP } from './sdkBootstrap.ts';
import { readResultColumns } from './columnar.ts';
import { rowsOf } from './values.ts';
import { answerDp, type BudgetCall, type DpKind } from './dp.ts';

export type AuditQuery = (event: QueryEvent) => Promise<void>;

type Envelope = { ok: true; value: unknown } | { ok: false; code: ErrorCode; message: string };

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

function validParams(p: unknown): DuckDBValue[] {
  if (!Array.isArray(p) || p.length > 1000) throw new OpError('SQL_PARAMS_INVALID');
  for (const v of p) {
    if (!(v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))))
      throw new OpError('SQL_PARAMS_INVALID');
  }
  return p as DuckDBValue[];
}

/** DuckDB messages can quote data; keep the first line and the error class only. */
function sqlErrorMessage(err: unknown): string {
  return String((err as Error)?.message ?? err)
    .split('\n')[0]!
    .slice(0, 500);
}

/** What a job's run says besides its result: whether the worker may take another job. */
export interface JobRun {
  readonly result: WorkerResult;
  /** False once a limit stopped the job: a worker that was pushed to a wall is not trusted again. */
  readonly reusable: boolean;
}

export async function runJob(job: JobSpec, db: TenantDb, auditQuery: AuditQuery, budget?: BudgetCall): Promise<JobRun> {
  const started = Date.now();
  const { limits } = job;
  let sqlCalls = 0;
  /** Codes sql() actually returned to this script: only those may become the job's code. */
  const sdkCodes = new Set<ErrorCode>();
  let stopReason: JobError | undefined;
  const con: DuckDBConnection = await db.instance.connect();
  const isolate = new ivm.Isolate({
    memoryLimit: limits.isolateMemoryMb,
    // Some allocations (large Maps, for one) exhaust V8 beyond recovery; this worker is then
    // beyond saving too. Exit with a code the supervisor reads as the isolate's memory limit.
    // exit() would run exit handlers that wait on the stuck isolate thread: kill ourselves outright,
    // leaving a marker on stderr for the supervisor.
    onCatastrophicError: () => {
      writeSync(2, `\n${ISOLATE_OOM_MARKER}\n`);
      process.kill(process.pid, 'SIGKILL');
    },
  });
  const stop = (code: ErrorCode, message: string) => {
    if (!stopReason) stopReason = { code, message };
    // Interrupt a running query too: the script is waiting on it, and DuckDB honours interrupts between vectors.
    con.interrupt();
    if (!isolate.isDisposed) isolate.dispose();
  };
  const wallTimer = setTimeout(() => stop('SANDBOX_TIMEOUT', `the job ran longer than its wall-clock limit of ${limits.wallMs} ms`), limits.wallMs);
  const cpuTimer = setInterval(() => {
    if (!isolate.isDisposed && Number(isolate.cpuTime) / 1e6 > limits.cpuMs)
      stop('SANDBOX_CPU_LIMIT', `the script used more than ${limits.cpuMs} ms of CPU time`);
  }, 20);

  // Answers cross into the isolate as transferred copies: typed-array buffers are moved, not
  // serialised, so a million-row numeric column costs a pointer move rather than a copy.
  // One query at a time on the job's connection: DuckDB's node bindings must not run
  // statements concurrently on one connection, and a script may fire many sql() at once.
  let queue: Promise<unknown> = Promise.resolve();
  // A script repeats its statements: each text is prepared once on the job's connection (whose
  // prepared statements die with it) and bound afresh per call. Preparing costs more than
  // running a small query.
  const prepared = new Map<string, DuckDBPreparedStatement>();
  const stream = async (sql: string, values: DuckDBValue[]): Promise<DuckDBResult> => {
    let st = prepared.get(sql);
    if (!st) {
      st = await con.prepare(sql);
      if (prepared.size >= 256) prepared.clear();
      prepared.set(sql, st);
    }
    st.clearBindings();
    if (values.length > 0) st.bind(values);
    return st.stream();
  };
  const hostSql = (kind: 'rows' | 'columns', query: string, params: unknown): Promise<ivm.Copy<Envelope>> => {
    const next = queue.then(() => answerSqlCopy(kind, query, params));
    queue = next.catch(() => undefined);
    return next;
  };
  /** dp.*: counted with sql() calls, answered in turn with them, never with rows. */
  const hostDp = (kind: DpKind, spec: unknown): Promise<ivm.Copy<Envelope>> => {
    const next = queue.then(async () => {
      sqlCalls++;
      let env: Envelope;
      try {
        if (sqlCalls > limits.maxSqlCalls) throw new OpError('SANDBOX_SQL_CALL_LIMIT', `more than ${limits.maxSqlCalls} sql() calls`);
        if (!budget) throw new OpError('DP_BUDGET_EXHAUSTED', 'this worker keeps no privacy budget');
        const r = await answerDp(con, db, kind, spec, budget);
        env = {
          ok: true,
          value: {
            value: r.rows.length === 1 && r.rows[0]!.length === 1 ? r.rows[0]![0] : undefined,
            rows: r.rows,
            epsilon: r.epsilon,
            delta: r.delta,
            mechanism: r.mechanism,
            ...(r.bounds ? { bounds: r.bounds } : {}),
          },
        };
      } catch (err) {
        const e = toOpError(err);
        sdkCodes.add(e.code);
        env = { ok: false, code: e.code, message: e.message };
      }
      return new ivm.ExternalCopy(env).copyInto({ release: true });
    });
    queue = next.then(
      () => undefined,
      () => undefined,
    );
    return next;
  };

  const answerSqlCopy = async (kind: 'rows' | 'columns', query: string, params: unknown): Promise<ivm.Copy<Envelope>> => {
    if (stopReason) return new ivm.ExternalCopy({ ok: false, code: stopReason.code, message: stopReason.message } as Envelope).copyInto({ release: true });
    const env = await answerSql(kind, query, params);
    const buffers =
      env.ok && kind === 'columns'
        ? Object.values(env.value as Record<string, unknown>)
            .filter(ArrayBuffer.isView)
            .map((a) => (a as Float64Array).buffer)
        : [];
    return new ivm.ExternalCopy(env, { transferList: buffers }).copyInto({ release: true, transferIn: true });
  };

  const answerSql = async (kind: 'rows' | 'columns', query: string, params: unknown): Promise<Envelope> => {
    sqlCalls++;
    const sqlHash = sha256(query);
    let event: QueryEvent;
    let value: unknown;
    try {
      if (sqlCalls > limits.maxSqlCalls) throw new OpError('SANDBOX_SQL_CALL_LIMIT', `more than ${limits.maxSqlCalls} sql() calls`);
      const values = validParams(params);
      const meta = await db.catalogAnswer(query);
      if (meta) {
        // Names and kinds only: audited like any query, nothing read from the data.
        const text = JSON.stringify(meta.rows);
        value = kind === 'rows' ? text : Object.fromEntries(meta.columns.map((c) => [c, meta.rows.map((r) => r[c] ?? null)]));
        event = {
          sql: query,
          sqlHash,
          verdict: 'allowed',
          tables: [...meta.tables],
          columns: [],
          rowCount: meta.rows.length,
          resultHash: sha256(text),
          lineage: null,
          resultColumns: [...meta.columns],
          params: [],
        };
        await auditQuery(event);
        return { ok: true, value };
      }
      const gate = await db.gate(con, query);
      let rowCount: number;
      let resultColumns: string[];
      let bytes: number;
      let resultHash: string;
      try {
        if (kind === 'rows') {
          const reader = new DuckDBResultReader(await stream(gate.run ?? query, values));
          await reader.readUntil(limits.maxResultRows + 1);
          if (reader.currentRowCount > limits.maxResultRows)
            throw new OpError('SANDBOX_RESULT_TOO_LARGE', `the result has more than ${limits.maxResultRows} rows`);
          const text = JSON.stringify(rowsOf(reader));
          [value, rowCount, bytes, resultHash] = [text, reader.currentRowCount, text.length, sha256(text)];
          resultColumns = reader.deduplicatedColumnNames();
        } else {
          const cols = await readResultColumns(await stream(gate.run ?? query, values), limits.maxResultRows);
          [value, rowCount, bytes, resultHash] = [cols.columns, cols.rowCount, cols.bytes, cols.hash];
          resultColumns = Object.keys(cols.columns);
        }
      } catch (err) {
        if (err instanceof OpError) throw err;
        event = {
          sql: query,
          sqlHash,
          verdict: 'failed',
          code: 'SQL_EXECUTION_ERROR',
          reason: sqlErrorMessage(err),
          tables: gate.tables,
          columns: gate.columns,
        };
        await auditQuery(event);
        sdkCodes.add('SQL_EXECUTION_ERROR');
        return { ok: false, code: 'SQL_EXECUTION_ERROR', message: sqlErrorMessage(err) };
      }
      if (bytes > limits.maxResultBytes) throw new OpError('SANDBOX_RESULT_TOO_LARGE', `the result is larger than ${limits.maxResultBytes} bytes`);
      // What ran is recorded (with a group floor, the rewritten text): the export check re-runs it.
      event = {
        sql: gate.run ?? query,
        sqlHash,
        verdict: 'allowed',
        tables: gate.tables,
        columns: gate.columns,
        rowCount,
        resultHash,
        lineage: gate.lineage ?? null,
        resultColumns,
        params: values as (string | number | boolean | null)[],
      };
    } catch (err) {
      const e = toOpError(err);
      event = { sql: query, sqlHash, verdict: 'refused', code: e.code, reason: e.message, tables: [], columns: [] };
      await auditQuery(event);
      sdkCodes.add(e.code);
      if (e.code === 'SANDBOX_SQL_CALL_LIMIT' || e.code === 'SANDBOX_RESULT_TOO_LARGE') stop(e.code, e.message);
      return { ok: false, code: e.code, message: e.message };
    }
    await auditQuery(event);
    return { ok: true, value };
  };

  let outputs: JobOutput[] = [];
  let logs: string[] = [];
  let error: JobError | undefined;
  let cpuMs = 0;
  try {
    const context = await isolate.createContext();
    const g = context.global;
    await g.set('__opdomain_sql', new ivm.Reference(hostSql));
    await g.set('__opdomain_dp', new ivm.Reference(hostDp));
    await g.set('__opdomain_sleep', new ivm.Reference((ms: number) => new Promise((r) => setTimeout(r, ms))));
    await g.set('__opdomain_params', JSON.stringify(job.params ?? {}));
    await g.set('__opdomain_max_log', limits.maxLogBytes);
    const collect = (await context.eval(SDK_BOOTSTRAP, { reference: true })) as ivm.Reference<() => unknown>;
    let script: ivm.Script;
    try {
      script = await isolate.compileScript(`(async () => {\n${job.script}\n})()`, { filename: 'job.js', lineOffset: -1 });
    } catch (err) {
      throw new OpError('SANDBOX_SYNTAX_ERROR', String((err as Error).message).slice(0, 500));
    }
    try {
      await script.run(context, { promise: true, timeout: limits.cpuMs });
    } catch (err) {
      if (stopReason) throw new OpError(stopReason.code, stopReason.message);
      const msg = String((err as Error)?.message ?? err);
      if (/memory limit/i.test(msg)) throw new OpError('SANDBOX_MEMORY_LIMIT', `the script exceeded its ${limits.isolateMemoryMb} MB memory limit`);
      if (/timed out/i.test(msg)) throw new OpError('SANDBOX_CPU_LIMIT', `the script used more than ${limits.cpuMs} ms of CPU time`);
      if (/disposed/i.test(msg)) throw new OpError('SANDBOX_MEMORY_LIMIT', 'the isolate was disposed (memory limit)');
      // An uncaught refusal from sql() ends the job with the refusal's own code.
      const sdk = /^(?:Error: )?([A-Z][A-Z_]+): ([\s\S]*)$/.exec(msg);
      if (sdk && isErrorCode(sdk[1]) && sdkCodes.has(sdk[1])) throw new OpError(sdk[1], sdk[2]!.slice(0, 1000));
      // Where in the script: the first frame of job.js in the isolate's stack (line and column as the operator wrote them).
      const at = /job\.js:(\d+):(\d+)/.exec(String((err as Error)?.stack ?? ''));
      throw new OpError('SANDBOX_SCRIPT_ERROR', `${msg.slice(0, 1000)}${at ? ` [job.js:${at[1]}:${at[2]}]` : ''}`);
    }
    if (stopReason) throw new OpError(stopReason.code, stopReason.message);
    let collected: { outputs: [unknown, unknown][]; logs: string[]; logOverflow: boolean };
    try {
      collected = (await collect.apply(undefined, [], { result: { copy: true }, timeout: 5000 })) as typeof collected;
    } catch (err) {
      const stopped = stopReason as JobError | undefined;
      if (stopped) throw new OpError(stopped.code, stopped.message);
      throw new OpError(
        'SANDBOX_OUTPUT_INVALID',
        `outputs must be plain data (rows of strings, numbers, booleans, null): ${String((err as Error).message).slice(0, 200)}`,
      );
    }
    if (collected.logOverflow) throw new OpError('SANDBOX_LOG_LIMIT', `the script logged more than ${limits.maxLogBytes} bytes`);
    logs = collected.logs.map(String);
    outputs = collected.outputs.map(([name, data]) => normalizeOutput(name, data));
    if (job.manifest) outputs = checkDeclared(outputs, job.manifest);
    const size = outputs.reduce((n, o) => n + JSON.stringify(o.rows).length, 0);
    if (size > limits.maxOutputBytes) throw new OpError('SANDBOX_OUTPUT_TOO_LARGE', `outputs total more than ${limits.maxOutputBytes} bytes`);
  } catch (err) {
    const e = stopReason && !(err instanceof OpError) ? new OpError(stopReason.code, stopReason.message) : toOpError(err);
    error = { code: e.code, message: e.code === 'INTERNAL' ? sqlErrorMessage(err) : e.message };
    outputs = [];
  } finally {
    clearTimeout(wallTimer);
    clearInterval(cpuTimer);
    if (!isolate.isDisposed) {
      cpuMs = Math.round(Number(isolate.cpuTime) / 1e6);
      isolate.dispose();
    }
    // Never close the connection under a running query: interrupt it and wait for the queue.
    con.interrupt();
    await queue;
    con.closeSync();
  }
  const result: WorkerResult = { ok: !error, outputs, logs, ...(error ? { error } : {}), stats: { sqlCalls, cpuMs, wallMs: Date.now() - started } };
  return { result, reusable: !stopReason && !(error && LIMIT_CODES.has(error.code)) };
}

/** A job that ended on one of these pushed its worker to a wall; the worker retires after it. */
const LIMIT_CODES = new Set<ErrorCode>([
  'SANDBOX_TIMEOUT',
  'SANDBOX_CPU_LIMIT',
  'SANDBOX_MEMORY_LIMIT',
  'SANDBOX_SQL_CALL_LIMIT',
  'SANDBOX_RESULT_TOO_LARGE',
  'INTERNAL',
]);
