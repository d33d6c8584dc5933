// RFC 4180 CSV for bundle files. Cells that a spreadsheet would run as a formula are
// prefixed with an apostrophe (CSV injection).

function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  let s = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : typeof v === 'object' ? JSON.stringify(v) : String(v);
  if (/^[=+\-@\t\r]/.test(s) && typeof v === 'string') s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export function toCsv(columns: readonly { name: string }[], rows: readonly (readonly unknown[])[]): string {
  const lines = [columns.map((c) => cell(c.name)).join(',')];
  for (const r of rows) lines.push(r.map(cell).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
