// The SQL gate. DuckDB's own parser (json_serialize_sql: its serialized syntax tree) is the
// authority on what a query does; node-sql-parser reads it a second time, and a query the two
// read differently is refused. Fail closed: whatever cannot be parsed or is not understood
// is refused. checkQuery() throws; canQuery() answers.
import type { DuckDBConnection } from '@duckdb/node-api';
import { refuseTable } from './tableNames.ts';
import { OpError } from '../errors/index.ts';
import { columnLineage, type ColumnLineage } from './columnLineage.ts';
import { ALLOWED_FUNCTIONS, ALLOWED_OPERATORS, ALLOWED_TABLE_FUNCTIONS } from './functions.ts';
import { checkUsage, type LevelOf } from './usage.ts';

export interface GateResult {
  /** Column-level lineage, when the query's shape allows it (and table columns were given). */
  readonly lineage?: ColumnLineage | null;
  /** Base tables read (lower-case), CTE names excluded. */
  readonly tables: readonly string[];
  /** Column names referenced anywhere in the query (lower-case, qualified as written). */
  readonly columns: readonly string[];
  readonly functions: readonly string[];
  /** The text that runs instead, when the usage levels added group floors (SCQL's minimum group size). */
  readonly run?: string;
}

export const MAX_SQL_LENGTH = 100_000;

const TABLE_REF_TYPES = new Set(['BASE_TABLE', 'JOIN', 'SUBQUERY', 'TABLE_FUNCTION', 'EXPRESSION_LIST', 'EMPTY']);
type SecondParser = { parse(sql: string, opt: { database: string }): { tableList: string[]; ast: unknown } };
let secondParser: SecondParser | undefined;

/** node-sql-parser's PostgreSQL build, loaded on first use (the full build costs ~200 ms at start). */
export async function loadSecondParser(): Promise<SecondParser> {
  if (!secondParser) {
    const mod = (await import('node-sql-parser/build/postgresql.js')) as unknown as {
      Parser?: new () => SecondParser;
      default?: { Parser: new () => SecondParser };
    };
    const Parser = mod.Parser ?? mod.default!.Parser;
    secondParser = new Parser();
  }
  return secondParser;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** DuckDB's serialized tree of exactly one statement (or the gate's refusal). */
export async function duckdbTree(con: DuckDBConnection, sql: string): Promise<Json[]> {
  let extracted: Awaited<ReturnType<DuckDBConnection['extractStatements']>>;
  try {
    extracted = await con.extractStatements(sql);
  } catch (err) {
    throw new OpError('SQL_PARSE_ERROR', `DuckDB could not parse the query: ${firstLine((err as Error).message)}`);
  }
  if (extracted.count !== 1)
    throw new OpError(
      extracted.count === 0 ? 'SQL_PARSE_ERROR' : 'SQL_MULTIPLE_STATEMENTS',
      extracted.count === 0 ? 'the query is empty' : `found ${extracted.count} statements; exactly one is allowed`,
    );
  const r = await con.runAndReadAll('SELECT json_serialize_sql($1::VARCHAR) AS j', [sql]);
  // Locations are "none" as 2^64-1, which JSON numbers cannot carry back: zero them, so a tree
  // the gate rewrote (a group floor) deserializes.
  const tree = JSON.parse(String(r.getRowObjectsJS()[0]!.j).replace(/"query_location":\d+/g, '"query_location":0')) as {
    error: boolean;
    error_message?: string;
    error_type?: string;
    statements?: Json[];
  };
  if (tree.error) {
    if (/only select/i.test(tree.error_message ?? '')) throw new OpError('SQL_NOT_SELECT', 'only SELECT / WITH queries are allowed');
    throw new OpError('SQL_PARSE_ERROR', `DuckDB could not parse the query: ${firstLine(tree.error_message ?? 'unknown error')}`);
  }
  const statements = tree.statements ?? [];
  if (statements.length !== 1) throw new OpError('SQL_MULTIPLE_STATEMENTS', `found ${statements.length} statements; exactly one is allowed`);
  return statements;
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.slice(0, 300);
}

/** Walks every object of DuckDB's tree; nothing nested escapes the checks. */
function inspect(tree: Json, allowedTables: ReadonlySet<string>): GateResult & { allRefs: Set<string> } {
  const cteNames = new Set<string>();
  const collectCtes = (n: Json): void => {
    if (Array.isArray(n)) {
      n.forEach(collectCtes);
      return;
    }
    if (n && typeof n === 'object') {
      const map = (n.cte_map as { map?: { key: string }[] } | undefined)?.map;
      if (Array.isArray(map)) for (const m of map) cteNames.add(String(m.key).toLowerCase());
      Object.values(n).forEach(collectCtes);
    }
  };
  collectCtes(tree);

  const tables = new Set<string>();
  const allRefs = new Set<string>();
  const columns = new Set<string>();
  const functions = new Set<string>();
  const visit = (n: Json): void => {
    if (Array.isArray(n)) {
      n.forEach(visit);
      return;
    }
    if (!n || typeof n !== 'object') return;
    const type = typeof n.type === 'string' ? n.type : undefined;
    const cls = typeof n.class === 'string' ? n.class : undefined;
    if (type === 'SHOW_REF')
      throw new OpError(
        'SQL_CONSTRUCT_NOT_ALLOWED',
        'SUMMARIZE and DESCRIBE of a query are not allowed (they compute over the data); `DESCRIBE table` and `SHOW TABLES` alone are answered from the catalog',
      );
    if (type === 'BASE_TABLE') {
      const name = String(n.table_name).toLowerCase();
      const schema = String(n.schema_name ?? '');
      const catalog = String(n.catalog_name ?? '');
      if (catalog !== '' || (schema !== '' && schema.toLowerCase() !== 'main')) {
        throw new OpError('SQL_TABLE_NOT_ALLOWED', `table "${[catalog, schema, n.table_name].filter(Boolean).join('.')}" is outside the authorization`);
      }
      if (n.at_clause !== null && n.at_clause !== undefined) throw new OpError('SQL_CONSTRUCT_NOT_ALLOWED', 'time travel (AT) is not allowed');
      allRefs.add(name);
      const isCte = schema === '' && cteNames.has(name);
      if (!isCte) {
        if (!allowedTables.has(name)) refuseTable(String(n.table_name), allowedTables);
        tables.add(name);
      }
    } else if (type === 'TABLE_FUNCTION') {
      const fn = (n.function as { function_name?: string } | undefined)?.function_name?.toLowerCase() ?? '';
      if (!ALLOWED_TABLE_FUNCTIONS.has(fn)) throw new OpError('SQL_FUNCTION_NOT_ALLOWED', `table function "${fn.slice(0, 100)}" is not allowed`);
      functions.add(fn);
    } else if (type && 'alias' in n && 'sample' in n && !('class' in n) && !TABLE_REF_TYPES.has(type)) {
      // Any other kind of table reference (PIVOT, column data, delim get …) is not understood: refuse.
      throw new OpError('SQL_CONSTRUCT_NOT_ALLOWED', `table reference of type ${type} is not allowed`);
    }
    if (cls === 'FUNCTION' || cls === 'WINDOW' || cls === 'AGGREGATE') {
      const fn = String(n.function_name ?? '').toLowerCase();
      const qualified = String(n.schema ?? '') !== '' || String(n.catalog ?? '') !== '';
      const allowed = n.is_operator === true ? ALLOWED_OPERATORS.has(fn) || ALLOWED_FUNCTIONS.has(fn) : ALLOWED_FUNCTIONS.has(fn);
      if (qualified || !allowed) throw new OpError('SQL_FUNCTION_NOT_ALLOWED', `function "${fn.slice(0, 100)}" is not allowed`);
      functions.add(fn);
    }
    if (cls === 'COLUMN_REF' && Array.isArray(n.column_names)) columns.add((n.column_names as string[]).join('.').toLowerCase());
    Object.values(n).forEach(visit);
  };
  visit(tree);
  return { tables: [...tables].sort(), columns: [...columns].sort(), functions: [...functions].sort(), allRefs };
}

/** node-sql-parser's reading: table names (CTEs included, as DuckDB lists them). Null if it cannot parse. */
async function secondReading(sql: string): Promise<{ tables: Set<string>; statements: number; type: string } | null> {
  const parser = await loadSecondParser();
  try {
    const r = parser.parse(sql, { database: 'postgresql' });
    const asts = Array.isArray(r.ast) ? r.ast : [r.ast];
    return {
      tables: new Set(r.tableList.map((t: string) => t.split('::').pop()!.toLowerCase())),
      statements: asts.length,
      type: String((asts[0] as { type?: string } | undefined)?.type ?? ''),
    };
  } catch {
    return null;
  }
}

/** Column usage levels for one audience: a result column that is not plaintext to it is refused. */
export interface GateUsage {
  readonly levelOf: LevelOf;
  readonly audience: 'sandbox' | 'export';
  /** A table's unit-of-privacy column: given, the gate adds group floors where an aggregation reveals a restricted column. */
  readonly unitOf?: (table: string) => string | undefined;
}

export async function checkQuery(
  con: DuckDBConnection,
  sql: unknown,
  allowedTables: ReadonlySet<string>,
  columnsOf?: (table: string) => readonly string[],
  usage?: GateUsage,
): Promise<GateResult> {
  if (typeof sql !== 'string') throw new OpError('SQL_PARSE_ERROR', 'the query must be a string');
  if (sql.length > MAX_SQL_LENGTH) throw new OpError('SQL_PARSE_ERROR', `the query is longer than ${MAX_SQL_LENGTH} characters`);
  if (sql.includes('\u0000')) throw new OpError('SQL_PARSE_ERROR', 'the query contains a NUL character');
  const [statement] = await duckdbTree(con, sql);
  const result = inspect(statement!, allowedTables);
  const second = await secondReading(sql);
  if (second) {
    // Both readings name CTEs as tables too, so compare every table reference.
    const duckTables = result.allRefs;
    const same =
      second.statements === 1 && second.type === 'select' && second.tables.size === duckTables.size && [...second.tables].every((t) => duckTables.has(t));
    if (!same) throw new OpError('SQL_PARSERS_DISAGREE', 'the two SQL parsers read this query differently; rewrite it plainly');
  }
  const { allRefs: _refs, ...gate } = result;
  let run: string | undefined;
  if (usage && columnsOf) {
    const { floored } = checkUsage(
      statement!,
      columnsOf,
      usage.levelOf,
      usage.audience === 'sandbox' ? 'operator in the sandbox' : 'export audience',
      usage.unitOf,
    );
    if (floored) run = await deserialize(con, floored);
  }
  const withRun = run ? { ...gate, run } : gate;
  return columnsOf ? { ...withRun, lineage: columnLineage(statement!, columnsOf) } : withRun;
}

async function deserialize(con: DuckDBConnection, statement: Json): Promise<string> {
  try {
    const r = await con.runAndReadAll('SELECT json_deserialize_sql($1::VARCHAR) AS s', [JSON.stringify({ error: false, statements: [statement] })]);
    return String(r.getRowObjectsJS()[0]!.s);
  } catch (err) {
    // Fail closed: a query whose group floor cannot be written does not run without it.
    throw new OpError('SQL_CONSTRUCT_NOT_ALLOWED', `the query's group floor could not be applied: ${firstLine((err as Error).message)}`);
  }
}

export async function canQuery(
  con: DuckDBConnection,
  sql: unknown,
  allowedTables: ReadonlySet<string>,
): Promise<{ ok: true; result: GateResult } | { ok: false; error: OpError }> {
  try {
    return { ok: true, result: await checkQuery(con, sql, allowedTables) };
  } catch (err) {
    if (err instanceof OpError) return { ok: false, error: err };
    throw err;
  }
}
