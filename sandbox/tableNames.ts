// What a script is told about a table it cannot read. One stable code (SQL_TABLE_NOT_ALLOWED,
// which scripts match on), two messages: a public catalog dataset the authorization was not
// granted is "not granted"; any other name is "no table" — a typo, or another authorization's own
// data, whose existence is not this operator's to learn — with the nearest granted name.
import { closest, distance } from 'fastest-levenshtein';
import { CATALOG } from '../datasets/index.ts';
import { OpError } from '../errors/index.ts';

const isPublicDataset = (name: string) => CATALOG.some((d) => d.id === name);

/** The nearest granted name within two edits, if any. */
export function nearestTable(name: string, allowed: ReadonlySet<string>): string | undefined {
  if (allowed.size === 0) return undefined;
  const best = closest(name, [...allowed]);
  return distance(name, best) <= 2 ? best : undefined;
}

/** Throws the refusal for a table outside the authorization's file. */
export function refuseTable(table: string, allowed: ReadonlySet<string>): never {
  const name = table.toLowerCase();
  const shown = table.slice(0, 100);
  if (isPublicDataset(name)) throw new OpError('SQL_TABLE_NOT_ALLOWED', `table "${shown}" is not granted to this authorization`);
  const near = nearestTable(name, allowed);
  const granted = [...allowed].sort().slice(0, 20).join(', ');
  throw new OpError(
    'SQL_TABLE_NOT_ALLOWED',
    `no table "${shown}"${near ? `; did you mean "${near}"?` : ''} The granted tables: ${granted || 'none'} (DESCRIBE a table for its columns)`,
  );
}
