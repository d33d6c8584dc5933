// The script SDK as seen inside the isolate. This source runs first in every fresh context:
// it takes the host references out of the global object into a closure, defines sql(),
// sql.columns(), dp.*, output(), log(), params and a bounded setTimeout, and evaluates to the
// collector the host calls at the end. Nothing host-side stays reachable from scripts.

export const SDK_BOOTSTRAP = `(() => {
  'use strict';
  const hostSql = globalThis.__opdomain_sql;
  const hostDp = globalThis.__opdomain_dp;
  const hostSleep = globalThis.__opdomain_sleep;
  const paramsJson = globalThis.__opdomain_params;
  const maxLogBytes = globalThis.__opdomain_max_log;
  delete globalThis.__opdomain_sql;
  delete globalThis.__opdomain_dp;
  delete globalThis.__opdomain_sleep;
  delete globalThis.__opdomain_params;
  delete globalThis.__opdomain_max_log;
  const apply = (ref, args) => ref.apply(undefined, args, { arguments: { copy: true }, result: { promise: true } });
  const JSONparse = JSON.parse;
  const outputs = new Map();
  const logs = [];
  let logBytes = 0;
  let logOverflow = false;
  const fail = (env) => {
    const e = new Error(env.code + ': ' + env.message);
    e.code = env.code;
    throw e;
  };
  const checkParams = (p) => {
    if (p === undefined) return [];
    if (!Array.isArray(p)) throw new TypeError('sql(): params must be an array');
    return p;
  };
  const sql = async (query, params) => {
    const env = await apply(hostSql, ['rows', String(query), checkParams(params)]);
    if (!env.ok) fail(env);
    return JSONparse(env.value);
  };
  sql.columns = async (query, params) => {
    const env = await apply(hostSql, ['columns', String(query), checkParams(params)]);
    if (!env.ok) fail(env);
    return env.value;
  };
  const dpCall = (kind) => async (spec) => {
    if (spec === null || typeof spec !== 'object') throw new TypeError('dp.' + kind + '(spec): spec must be an object');
    const env = await apply(hostDp, [kind, JSONparse(JSON.stringify(spec))]);
    if (!env.ok) fail(env);
    return Object.freeze(env.value);
  };
  const dp = Object.freeze({ count: dpCall('count'), sum: dpCall('sum'), mean: dpCall('mean'), quantile: dpCall('quantile') });
  const output = (name, data) => {
    if (typeof name !== 'string') throw new TypeError('output(name, rows): name must be a string');
    outputs.set(name, data);
  };
  const show = (v) => {
    if (typeof v === 'string') return v;
    try { return JSON.stringify(v, (k, x) => (typeof x === 'bigint' ? String(x) : x)) ?? String(v); } catch { return String(v); }
  };
  const log = (...values) => {
    const line = values.map(show).join(' ');
    logBytes += line.length + 1;
    if (logBytes > maxLogBytes) { logOverflow = true; return; }
    logs.push(line);
  };
  const setTimeout = (fn, ms) => {
    if (typeof fn !== 'function') throw new TypeError('setTimeout(fn, ms): fn must be a function');
    hostSleep.apply(undefined, [Math.max(0, Math.min(Number(ms) || 0, 5000))], { result: { promise: true } }).then(() => fn());
  };
  const define = (name, value) => Object.defineProperty(globalThis, name, { value, writable: false, configurable: false, enumerable: false });
  define('sql', Object.freeze(sql));
  define('dp', dp);
  define('output', output);
  define('log', log);
  define('params', Object.freeze(JSONparse(paramsJson)));
  define('setTimeout', setTimeout);
  define('console', Object.freeze({ log, info: log, warn: log, error: log }));
  return () => ({ outputs: [...outputs.entries()], logs, logOverflow });
})()`;
