// The services write one SQL, SQLite's, which is close to PostgreSQL's; this turns a statement
// into PostgreSQL's where the two differ. Everything outside quotes is rewritten, nothing inside:
//  - `?` placeholders become `$1, $2, …` (one tested with IS NULL is cast to text: it has no type to infer);
//  - `INSERT OR IGNORE` becomes `INSERT … ON CONFLICT DO NOTHING`;
//  - the column `user` (a reserved word there) is quoted;
//  - camelCase aliases are quoted, since PostgreSQL folds unquoted names to lower case;
//  - in the schema, BLOB is BYTEA, REAL is DOUBLE PRECISION and INTEGER is BIGINT.
// SQLite's json_extract and json_each exist in PostgreSQL as functions the migrations create.

interface Piece {
  readonly quoted: boolean;
  readonly text: string;
}

/** Splits a statement into quoted parts ('…', "…", -- comments) and the rest. */
function pieces(sql: string): Piece[] {
  const out: Piece[] = [];
  let i = 0;
  let start = 0;
  while (i < sql.length) {
    const ch = sql[i]!;
    if (ch === '-' && sql[i + 1] === '-') {
      // A comment runs to the end of its line and is kept as it is (it may hold an apostrophe).
      if (i > start) out.push({ quoted: false, text: sql.slice(start, i) });
      const end = sql.indexOf('\n', i);
      const j = end < 0 ? sql.length : end;
      out.push({ quoted: true, text: sql.slice(i, j) });
      i = j;
      start = i;
    } else if (ch === "'" || ch === '"') {
      if (i > start) out.push({ quoted: false, text: sql.slice(start, i) });
      let j = i + 1;
      for (;;) {
        if (j >= sql.length) break;
        if (sql[j] === ch) {
          if (sql[j + 1] === ch) j += 2;
          else break;
        } else j++;
      }
      out.push({ quoted: true, text: sql.slice(i, j + 1) });
      i = j + 1;
      start = i;
    } else i++;
  }
  if (start < sql.length) out.push({ quoted: false, text: sql.slice(start) });
  return out;
}

const ALIAS = /\bAS\s+([a-z][a-z0-9_]*[A-Z][A-Za-z0-9_]*)\b/g;

function rewrite(sql: string): string {
  const parts = pieces(sql);
  const aliases = new Set<string>();
  for (const p of parts) if (!p.quoted) for (const m of p.text.matchAll(ALIAS)) aliases.add(m[1]!);
  const aliasRe = aliases.size > 0 ? new RegExp(`(?<![.\\w"])(${[...aliases].join('|')})\\b`, 'g') : null;
  let n = 0;
  let ignore = false;
  const out = parts.map((p) => {
    if (p.quoted) return p.text;
    // A parameter tested for NULL has no type PostgreSQL could infer: it is read as text.
    let t = p.text.replace(/\?(?=\s+IS\s+(?:NOT\s+)?NULL\b)/gi, 'CAST(? AS TEXT)');
    t = t.replace(/\?/g, () => `$${++n}`);
    t = t.replace(/\bINSERT\s+OR\s+IGNORE\s+INTO\b/gi, () => {
      ignore = true;
      return 'INSERT INTO';
    });
    t = t.replace(/(?<![.\w"])user\b(?!\s*\()/g, '"user"');
    if (aliasRe) t = t.replace(aliasRe, '"$1"');
    return t;
  });
  let text = out.join('');
  if (ignore) {
    const returning = /\bRETURNING\b/i.exec(text);
    text = returning ? `${text.slice(0, returning.index)}ON CONFLICT DO NOTHING ${text.slice(returning.index)}` : `${text.trimEnd()} ON CONFLICT DO NOTHING`;
  }
  return text;
}

const cache = new Map<string, string>();

/** A statement in PostgreSQL's dialect (cached: the texts are the code's own constants). */
export function toPostgres(sql: string): string {
  let t = cache.get(sql);
  if (t === undefined) {
    t = rewrite(sql);
    if (cache.size >= 4000) cache.clear();
    cache.set(sql, t);
  }
  return t;
}

/** The schema's DDL in PostgreSQL's types. */
export function ddlToPostgres(ddl: string): string {
  return pieces(ddl)
    .map((p) =>
      p.quoted
        ? p.text
        : p.text
            .replace(/\bBLOB\b/g, 'BYTEA')
            .replace(/\bREAL\b/g, 'DOUBLE PRECISION')
            .replace(/\bINTEGER\b/g, 'BIGINT')
            .replace(/(?<![.\w"])user\b/g, '"user"'),
    )
    .join('');
}
