// Hostile scripts (DESIGN layers 6–8): each runs as a real job in a worker process and ends
// with its own code; the host survives and the next job runs. Limits are lowered per test so
// the suite stays fast — the mechanisms are the ones production uses.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Supervisor, resolveLimits, type JobLimits, type WorkerResult } from '../../sandbox/index.ts';
import { demoDomain } from '../helpers.ts';

type Domain = Awaited<ReturnType<typeof demoDomain>>;

let d: Domain;
let sup: Supervisor;
let dbPath: string;
let n = 0;

async function job(script: string, limits: Partial<JobLimits> = {}, env: 'dev' | 'prod' = 'dev'): Promise<WorkerResult> {
  const queries: string[] = [];
  const r = await sup.run(
    {
      jobId: `attack-${n++}`,
      tenant: 'demo',
      env,
      dbPath: env === 'dev' ? dbPath : dbPath.replace('dev.duckdb', 'prod.duckdb'),
      buildId: null,
      script,
      params: { p: 1 },
      limits: resolveLimits({ wallMs: 5000, cpuMs: 2000, ...limits }),
    },
    { onQuery: (e) => void queries.push(e.verdict) },
  );
  return r;
}

const ok = 'output("ok", [{ ok: 1 }])';

beforeAll(async () => {
  d = await demoDomain({ workerPool: 0 });
  dbPath = d.od.ctx.paths.tenantDb('demo', 'dev');
  sup = new Supervisor({ poolSize: 2 });
});
afterAll(async () => {
  await sup?.close();
  await d?.close();
});

describe('script attacks end with their codes', () => {
  // [what, script, lowered limits, the code it must end with]
  const cases: [string, string, Partial<JobLimits>, string][] = [
    ['an infinite loop', 'while (true) {}', { cpuMs: 500 }, 'SANDBOX_CPU_LIMIT'],
    ['an infinite loop after an await', 'await null; for (;;) {}', { cpuMs: 500 }, 'SANDBOX_CPU_LIMIT'],
    ['a promise that never settles', 'await new Promise(() => {})', { wallMs: 800 }, 'SANDBOX_TIMEOUT'],
    ['waiting on a slow query', "await sql('SELECT count(*) FROM range(100000000000) a')", { wallMs: 1500 }, 'SANDBOX_TIMEOUT'],
    ['a cross-join CPU bomb in SQL', "await sql('SELECT count(*) FROM range(1000000) a, range(1000000) b')", { wallMs: 1500 }, 'SANDBOX_TIMEOUT'],
    ['allocating without bound', 'const a = []; while (true) a.push(new Array(1e5).fill(1.5));', { isolateMemoryMb: 32 }, 'SANDBOX_MEMORY_LIMIT'],
    // V8 refuses the string at its maximum length before the heap fills: a plain script error.
    ['a huge string', "let s = 'x'; while (true) s += s;", { isolateMemoryMb: 32 }, 'SANDBOX_SCRIPT_ERROR'],
    ['a growing map', 'const m = new Map(); let i = 0; while (true) m.set(i++, { i, s: String(i) });', { isolateMemoryMb: 32 }, 'SANDBOX_MEMORY_LIMIT'],
    ['a syntax error', 'const = 1;', {}, 'SANDBOX_SYNTAX_ERROR'],
    ['a thrown error', "throw new Error('boom')", {}, 'SANDBOX_SCRIPT_ERROR'],
    ['too many sql() calls', 'for (let i = 0; i < 10; i++) await sql("SELECT 1");', { maxSqlCalls: 5 }, 'SANDBOX_SQL_CALL_LIMIT'],
    ['a result over the row cap', "await sql('SELECT * FROM range(1000)')", { maxResultRows: 100 }, 'SANDBOX_RESULT_TOO_LARGE'],
    [
      'outputs over the size cap',
      "output('big', Array.from({ length: 20000 }, (_, i) => ({ i, s: 'x'.repeat(50) })))",
      { maxOutputBytes: 100_000 },
      'SANDBOX_OUTPUT_TOO_LARGE',
    ],
    ['a log flood', "for (let i = 0; i < 10000; i++) log('x'.repeat(100))", { maxLogBytes: 10_000 }, 'SANDBOX_LOG_LIMIT'],
    ['an invalid output name', "output('../../etc/passwd', [{ a: 1 }])", {}, 'SANDBOX_OUTPUT_INVALID'],
    ['an output of functions', "output('f', [{ a: () => 1 }])", {}, 'SANDBOX_OUTPUT_INVALID'],
    ['ragged output rows', "output('r', [{ a: 1 }, { b: 2 }])", {}, 'SANDBOX_OUTPUT_INVALID'],
    ['an uncaught gate refusal', 'await sql("SELECT * FROM read_csv(\'/etc/passwd\')")', {}, 'SQL_FUNCTION_NOT_ALLOWED'],
    ['SQL that fails while running', 'await sql("SELECT CAST(gender AS INTEGER) FROM population")', {}, 'SQL_EXECUTION_ERROR'],
    ['bad query parameters', "await sql('SELECT $1', [{ a: 1 }])", {}, 'SQL_PARAMS_INVALID'],
    ['Atomics.wait blocking the isolate forever', 'Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0)', { wallMs: 1000 }, 'SANDBOX_TIMEOUT'],
    [
      'a microtask flood',
      'const spin = () => Promise.resolve().then(spin); spin(); await new Promise(() => {})',
      { cpuMs: 500, wallMs: 4000 },
      'SANDBOX_CPU_LIMIT',
    ],
    ['runaway recursion', 'const f = (n) => f(n + 1) + 1; f(0)', {}, 'SANDBOX_SCRIPT_ERROR'],
    [
      'a thousand concurrent sql() calls',
      "await Promise.all(Array.from({ length: 1000 }, () => sql('SELECT 1')))",
      { maxSqlCalls: 50 },
      'SANDBOX_SQL_CALL_LIMIT',
    ],
    ['a Symbol in an output', "output('s', [{ a: Symbol('x') }])", {}, 'SANDBOX_OUTPUT_INVALID'],
    ['a cyclic value in an output', "const o = {}; o.self = o; output('c', [{ a: o }])", {}, 'SANDBOX_OUTPUT_INVALID'],
    ['redefining the SDK', "Object.defineProperty(globalThis, 'sql', { value: () => 1 })", {}, 'SANDBOX_SCRIPT_ERROR'],
    [
      'a worker that outgrows its memory cap',
      "await sql('SELECT list(range) FROM range(30000000)')",
      { workerMemoryMb: 220, duckdbMemoryMb: 2048 },
      'SANDBOX_WORKER_MEMORY',
    ],
  ];
  for (const [name, script, limits, code] of cases) {
    it(name, async () => {
      const r = await job(script, limits);
      expect(r.ok).toBe(false);
      expect(r.error?.code, r.error?.message).toBe(code);
      expect(r.outputs).toEqual([]);
    });
  }

  it('and after all of them the next job runs normally', async () => {
    const r = await job(`${ok}; output('n', await sql('SELECT count(*) AS n FROM population'))`);
    expect(r.ok, JSON.stringify(r.error)).toBe(true);
    expect(r.outputs.map((o) => o.name)).toEqual(['ok', 'n']);
  });
});

describe('isolation between concurrent jobs', () => {
  it('a runaway job does not slow down or break a normal job running beside it', async () => {
    const bomb = job('while (true) {}', { cpuMs: 3000, wallMs: 6000 });
    const normal = job("output('n', await sql('SELECT count(*) AS n FROM population'))");
    const [b, n2] = await Promise.all([bomb, normal]);
    expect(n2.ok, JSON.stringify(n2.error)).toBe(true);
    expect(b.error?.code).toBe('SANDBOX_CPU_LIMIT');
    expect(n2.stats.wallMs).toBeLessThan(b.stats.wallMs);
  });
});

describe('nothing of the host is reachable from a script', () => {
  it('globals, constructors and prototypes lead nowhere', async () => {
    const probe = `
      const results = {};
      const t = (k, f) => { try { results[k] = String(f()); } catch (e) { results[k] = 'threw'; } };
      t('require', () => typeof require);
      t('process', () => typeof process);
      t('fetch', () => typeof fetch);
      t('ivm', () => typeof ivm);
      t('hostSql', () => typeof __opdomain_sql);
      t('hostSleep', () => typeof __opdomain_sleep);
      t('globalKeys', () => Object.getOwnPropertyNames(globalThis).filter((k) => k.startsWith('__')).join(','));
      t('ctorProcess', () => ({}).constructor.constructor('return typeof process')());
      t('fnProcess', () => Function('return typeof process')());
      results.sqlCtor = await sql.constructor('return typeof require')();
      t('setIntervalType', () => typeof setInterval);
      t('queueMicrotask', () => typeof WebAssembly);
      t('evalProcess', () => eval('typeof process'));
      t('redefineSql', () => { globalThis.sql = 1; return typeof sql; });
      t('deleteOutput', () => { delete globalThis.output; return typeof output; });
      let dyn = 'no';
      try { await import('fs'); dyn = 'imported'; } catch { dyn = 'refused'; }
      results.dynamicImport = dyn;
      output('probe', [results]);`;
    const r = await job(probe);
    expect(r.ok, JSON.stringify(r.error)).toBe(true);
    const [cols, rows] = [r.outputs[0]!.columns.map((c) => c.name), r.outputs[0]!.rows[0]!];
    const got = Object.fromEntries(cols.map((c, i) => [c, rows[i]]));
    expect(got).toMatchObject({
      require: 'undefined',
      process: 'undefined',
      fetch: 'undefined',
      ivm: 'undefined',
      hostSql: 'undefined',
      hostSleep: 'undefined',
      globalKeys: '',
      ctorProcess: 'undefined',
      fnProcess: 'undefined',
      sqlCtor: 'undefined',
      setIntervalType: 'undefined',
      evalProcess: 'undefined',
      redefineSql: 'function',
      deleteOutput: 'function',
      dynamicImport: 'refused',
    });
  });

  it('prototype pollution inside the isolate does not reach the host or the next job', async () => {
    const r1 = await job("Object.prototype.polluted = 'yes'; Array.prototype.push = () => 0; JSON.parse = () => ({}); output('x', [{ a: 1 }])");
    expect(r1.ok, JSON.stringify(r1.error)).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const r2 = await job("output('y', [{ polluted: String(({}).polluted) }])");
    expect(r2.outputs[0]!.rows[0]).toEqual(['undefined']);
  });

  it('concurrent sql() calls from one script all get their own right answers', async () => {
    const r = await job(
      "const rs = await Promise.all(Array.from({ length: 20 }, (_, i) => sql('SELECT $1::INTEGER * 2 AS v', [i]))); output('v', rs.map((x) => x[0]))",
    );
    expect(r.ok, JSON.stringify(r.error)).toBe(true);
    expect(r.outputs[0]!.rows.map((x) => x[0])).toEqual(Array.from({ length: 20 }, (_, i) => i * 2));
  });

  it('a statement reused with other values, or with values that do not fit, answers each call for itself', async () => {
    // One prepared statement per text and job: a failed bind must not leave the last call's values behind.
    const r = await job(`
      const q = 'SELECT $1::INTEGER + 1 AS v';
      const a = await sql(q, [1]);
      let bad = 'none';
      try { await sql(q, []); } catch (e) { bad = String(e.message).split(':')[0]; }
      const c = await sql.columns(q, [41]);
      const b = await sql(q, [2]);
      output('v', [{ a: a[0].v, bad, c: c.v[0], b: b[0].v }])`);
    expect(r.ok, JSON.stringify(r.error)).toBe(true);
    expect(r.outputs[0]!.rows[0]).toEqual([2, 'SQL_EXECUTION_ERROR', 42, 3]);
  });

  it('setTimeout is bounded and works', async () => {
    const r = await job("let fired = 0; await new Promise((res) => setTimeout(() => { fired = 1; res(); }, 10)); output('t', [{ fired }])");
    expect(r.ok, JSON.stringify(r.error)).toBe(true);
    expect(r.outputs[0]!.rows[0]).toEqual([1]);
  });

  it('sql.columns() keeps NULLs in numeric columns (as plain arrays) and matches sql()', async () => {
    const q =
      "SELECT CASE WHEN range % 3 = 0 THEN NULL ELSE range END::DOUBLE AS x, range::BIGINT AS y, CASE WHEN range = 2 THEN NULL ELSE 'v' || range END AS s FROM range(5000)";
    const r = await job(`const c = await sql.columns(${JSON.stringify(q)}); const rows = await sql(${JSON.stringify(q)});
      const same = rows.every((row, i) => row.x === c.x[i] && row.y === c.y[i] && row.s === c.s[i]);
      output('c', [{ xTyped: c.x instanceof Float64Array, yTyped: c.y instanceof Float64Array, firstX: c.x[0], same, n: c.y.length }])`);
    expect(r.ok, JSON.stringify(r.error)).toBe(true);
    expect(r.outputs[0]!.rows[0]).toEqual([false, true, null, true, 5000]);
  });

  it('sql.columns() returns typed arrays for numeric columns', async () => {
    const r = await job(
      "const c = await sql.columns('SELECT range::DOUBLE AS x, range::INTEGER AS i, \\'a\\' AS s FROM range(5)'); output('c', [{ x: c.x instanceof Float64Array, i: c.i instanceof Int32Array, s: Array.isArray(c.s), sum: c.x.reduce((a, b) => a + b, 0) }])",
    );
    expect(r.ok, JSON.stringify(r.error)).toBe(true);
    expect(r.outputs[0]!.rows[0]).toEqual([true, true, true, 10]);
  });
});

describe('a script asks what it may read', () => {
  it('SHOW TABLES and DESCRIBE are answered from the file and the catalog: names, types, levels, grades — no values', async () => {
    const r = await job(`
      const tables = await sql('SHOW TABLES');
      const cols = await sql('DESCRIBE population');
      const quoted = await sql.columns('DESCRIBE "social_insurance"');
      output('t', tables.map((x) => ({ t: x.table_name, n: x.columns })));
      output('c', cols.map((x) => ({ c: x.column_name, type: x.column_type, lvl: x.sandbox_level, grade: x.grade })));
      output('q', [{ n: quoted.column_name.length }]);`);
    expect(r.ok, JSON.stringify(r.error)).toBe(true);
    const [t, c, q] = r.outputs;
    expect(t!.rows.map((x) => x[0])).toEqual(['enterprise', 'medical_claims', 'population', 'social_insurance']);
    const byName = new Map(c!.rows.map((x) => [x[0], x]));
    expect(byName.get('id_card')).toEqual(['id_card', 'VARCHAR', expect.any(String), expect.stringMatching(/core|important|general/)]);
    expect(byName.get('birth_date')![1]).toBe('DATE');
    expect(Number(q!.rows[0]![0])).toBeGreaterThan(3);
  });

  it("information_schema questions are answered over the granted tables' shapes, with each column's grade and levels", async () => {
    const r = await job(`
      const cols = await sql("SELECT table_name, column_name, data_type, column_comment AS comment FROM information_schema.columns WHERE table_name = 'population' ORDER BY ordinal_position");
      const tables = await sql("SELECT table_name, TABLE_COMMENT AS title FROM information_schema.tables ORDER BY 1");
      const count = await sql.columns("SELECT count(*) AS n FROM information_schema.columns c JOIN information_schema.tables t USING (table_name)");
      output('c', cols.map((x) => ({ c: x.column_name, t: x.data_type, comment: x.comment })));
      output('t', tables);
      output('n', [{ n: count.n[0] }]);`);
    expect(r.ok, JSON.stringify(r.error)).toBe(true);
    const [c, t, n] = r.outputs;
    expect(c!.rows.map((x) => x[0])).toEqual(['id_card', 'name', 'phone', 'gender', 'birth_date', 'address', 'county_code']);
    expect(c!.rows.find((x) => x[0] === 'birth_date')![1]).toBe('DATE');
    expect(String(c!.rows.find((x) => x[0] === 'id_card')![2])).toMatch(/grade important · sandbox join_key · export join_key/);
    expect(t!.rows.map((x) => x[0])).toEqual(['enterprise', 'medical_claims', 'population', 'social_insurance']);
    expect(t!.rows.find((x) => x[0] === 'population')![1]).toBe('Population register');
    expect(Number(n!.rows[0]![0])).toBeGreaterThan(20);
  });

  it('an information_schema question cannot reach a value: other tables, table functions, CTEs, files and settings are refused', async () => {
    const probe = async (query: string) => {
      const r = await job(
        `try { const x = await sql(${JSON.stringify(query)}); output('e', [{ m: 'answered ' + JSON.stringify(x).slice(0, 200) }]) } catch (e) { output('e', [{ m: e.message }]) }`,
      );
      return String(r.outputs[0]!.rows[0]![0]);
    };
    const attempts = [
      'SELECT * FROM information_schema.columns WHERE column_name IN (SELECT name FROM population)',
      'SELECT c.column_name, p.name FROM information_schema.columns c, population p LIMIT 1',
      'SELECT * FROM information_schema.columns, range(10)',
      "SELECT * FROM information_schema.columns, read_csv('/etc/passwd')",
      'WITH x AS (SELECT 1) SELECT * FROM information_schema.columns, x',
      'SELECT * FROM information_schema.schemata',
      'SELECT * FROM duckdb_settings(), information_schema.tables',
      "SELECT * FROM information_schema.tables; ATTACH '/tmp/x.db' AS x",
      "SELECT current_setting('enable_external_access') FROM information_schema.tables",
    ];
    for (const query of attempts.slice(0, 8)) expect(await probe(query), query).toMatch(/^SQL_(TABLE_NOT_ALLOWED|PARSE_ERROR|MULTIPLE_STATEMENTS)/);
    // A setting can be read (it is no data), never changed: the shapes' database stays locked down.
    expect(await probe("SELECT current_setting('enable_external_access') AS v FROM information_schema.tables LIMIT 1")).toBe('answered [{"v":false}]');
    expect(await probe("SELECT * FROM information_schema.tables WHERE table_name = (SELECT 'x' FROM read_text('/etc/hostname'))")).toMatch(
      /^SQL_TABLE_NOT_ALLOWED/,
    );
  });

  it('SUMMARIZE and DESCRIBE of a query compute over the data: still refused', async () => {
    for (const query of ['SUMMARIZE population', 'DESCRIBE SELECT * FROM population', 'SHOW SELECT max(birth_date) FROM population']) {
      const r = await job(`await sql(${JSON.stringify(query)})`);
      expect(r.error?.code, query).toBe('SQL_CONSTRUCT_NOT_ALLOWED');
    }
  });

  it('a typo is "no table" with the nearest granted name, never "not granted"; so is another authorization\'s data', async () => {
    const probe = async (query: string) => {
      const r = await job(`try { await sql(${JSON.stringify(query)}) } catch (e) { output('e', [{ m: e.message }]) }`);
      return String(r.outputs[0]!.rows[0]![0]);
    };
    const typo = await probe('SELECT count(*) FROM populaton');
    expect(typo).toMatch(/^SQL_TABLE_NOT_ALLOWED: no table "populaton"; did you mean "population"\?/);
    expect(typo).toMatch(/granted tables: enterprise, medical_claims, population, social_insurance/);
    expect(typo).not.toMatch(/not granted/);
    expect(await probe('DESCRIBE socal_insurance')).toMatch(/no table "socal_insurance"; did you mean "social_insurance"/);
    expect(await probe('SELECT * FROM own_other_customers')).toMatch(/^SQL_TABLE_NOT_ALLOWED: no table "own_other_customers"(?!; did you mean)/);
  });
});

describe('quiet failures in prod', () => {
  it('an error message that would echo data is reduced to its code in prod', async () => {
    const alice = await d.od.principal({ as: 'alice' });
    const leakyThrow = "const r = await sql('SELECT hospital FROM medical_claims LIMIT 1'); throw new Error('name=' + r[0].hospital)";
    const leakySql = 'await sql("SELECT CAST(hospital AS INTEGER) FROM medical_claims")';
    const leakyLog = "const r = await sql('SELECT hospital FROM medical_claims LIMIT 1'); log(r[0].hospital); output('x', r)";
    const names = (
      await d.od.jobs.run(alice, { tenant: 'demo', env: 'dev', script: "output('n', await sql('SELECT DISTINCT hospital FROM medical_claims LIMIT 50'))" })
    ).outputs[0]!.preview!.map((r) => String(r[0]));
    for (const script of [leakyThrow, leakySql, leakyLog]) {
      const prod = await d.od.jobs.run(alice, { tenant: 'demo', env: 'prod', script });
      const text = JSON.stringify(prod);
      expect(prod.logs).toEqual([]);
      for (const nm of names) expect(text).not.toContain(nm);
      expect(text).not.toMatch(/Could not convert|name=/);
      // The same script in dev shows the operator what went wrong.
      const dev = await d.od.jobs.run(alice, { tenant: 'demo', env: 'dev', script });
      expect(/Could not convert|name=/.test(JSON.stringify(dev)) || names.some((nm) => JSON.stringify(dev.logs).includes(nm))).toBe(true);
    }
  });
});
