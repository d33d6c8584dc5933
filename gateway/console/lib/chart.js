// A bar chart of an aggregate output (SVG, no library): the first text column labels the bars,
// the first numeric column sizes them; flagged cells are drawn in the rule's colour.
import { h } from './dom.js';
import { s } from './svg.js';

export function barChart(columns, rows, flags, title) {
  const label = columns.findIndex((c) => /CHAR|TEXT|STRING|DATE/i.test(c.type || ''));
  // The last numeric column: measures follow the dimensions they are grouped by (a decade is not a count).
  const value = columns.findLastIndex((c) => /INT|DOUBLE|FLOAT|DECIMAL|REAL|NUMERIC/i.test(c.type || ''));
  if (label < 0 || value < 0 || rows.length === 0) return null;
  const data = rows.slice(0, 60).map((r, i) => ({ i, label: String(r[label] ?? ''), v: typeof r[value] === 'number' ? r[value] : 0 }));
  const max = Math.max(1, ...data.map((d) => d.v));
  const bw = 18,
    gap = 4,
    height = 160,
    left = 46,
    bottom = 70,
    top = 12;
  const width = left + data.length * (bw + gap) + 10;
  const svg = s('svg', {
    viewBox: `0 -${top} ${width} ${height + bottom + top}`,
    width,
    height: height + bottom + top,
    role: 'img',
    'aria-label': title,
    class: 'chart',
  });
  svg.appendChild(s('title', {}, title));
  svg.appendChild(s('line', { x1: left, y1: height, x2: width, y2: height, stroke: '#98a2b3' }));
  for (const t of [0, 0.5, 1]) {
    const y = height - t * height;
    svg.appendChild(s('text', { x: left - 4, y: y + 4, 'text-anchor': 'end', class: 'axis' }, String(Math.round(t * max))));
  }
  data.forEach((d, k) => {
    const bh = (d.v / max) * height;
    const x = left + k * (bw + gap);
    const flag = flags.get(`${d.i}:${columns[value].name}`);
    svg.appendChild(s('rect', { x, y: height - bh, width: bw, height: bh, class: flag ? `bar bar-${flag}` : 'bar' }, s('title', {}, `${d.label}: ${d.v}`)));
    svg.appendChild(s('text', { x: x + bw / 2, y: height + 10, transform: `rotate(60 ${x + bw / 2} ${height + 10})`, class: 'axis' }, d.label.slice(0, 12)));
  });
  return h('figure', { class: 'chart-box' }, svg, h('figcaption', { class: 'muted' }, `${columns[value].name} × ${columns[label].name}`));
}
