// The lineage trace drawn as a graph (SVG): the traced node at the left, its upstream (or
// downstream) nodes in columns by distance, edges labelled with how they relate.
import { h } from './dom.js';
import { s } from './svg.js';

const COLORS = {
  export: '#16325c',
  bundle: '#16325c',
  output: '#2b6cb0',
  job: '#6b46c1',
  query: '#805ad5',
  table: '#2f855a',
  dataset: '#276749',
  build: '#b7791f',
  policy: '#b7791f',
  user: '#4a5568',
  script: '#6b46c1',
  replay: '#c53030',
};

export function traceGraph(tree, title) {
  const columns = [];
  const nodes = new Map();
  const edges = [];
  const walk = (t, depth, parent) => {
    let n = nodes.get(t.node.id);
    if (!n) {
      columns[depth] ||= [];
      columns[depth].push(t.node.id);
      n = { node: t.node, depth, row: columns[depth].length - 1 };
      nodes.set(t.node.id, n);
    }
    if (parent) edges.push({ from: parent, to: t.node.id, via: t.via || '' });
    if (!t.repeated) for (const c of t.children || []) walk(c, depth + 1, t.node.id);
  };
  walk(tree, 0, null);
  const cw = 262,
    rh = 44,
    nw = 226,
    nh = 32;
  const width = columns.length * cw + 20;
  const height = Math.max(...columns.map((c) => c.length)) * rh + 20;
  const pos = (n) => ({ x: 10 + n.depth * cw, y: 10 + n.row * rh });
  // Drawn to fit the box (the viewBox scales); the buttons zoom in and out from there.
  const fit = `width: 100%; max-width: ${width}px; height: auto;`;
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': title, class: 'graph', style: fit });
  svg.appendChild(s('title', {}, title));
  for (const e of edges) {
    const a = pos(nodes.get(e.from)),
      b = pos(nodes.get(e.to));
    const x1 = a.x + nw,
      y1 = a.y + nh / 2,
      x2 = b.x,
      y2 = b.y + nh / 2;
    svg.appendChild(s('path', { d: `M${x1},${y1} C${x1 + 20},${y1} ${x2 - 20},${y2} ${x2},${y2}`, class: 'edge' }, s('title', {}, e.via)));
  }
  for (const n of nodes.values()) {
    const p = pos(n);
    const type = n.node.type;
    // Every node is a link to its own trace.
    const link = s('a', { href: `#/trace/${encodeURIComponent(n.node.id)}`, class: 'node-link' });
    const g = s('g', { class: 'node', 'data-id': n.node.id, transform: `translate(${p.x},${p.y})` });
    link.appendChild(g);
    g.appendChild(s('rect', { width: nw, height: nh, rx: 5, fill: '#fff', stroke: COLORS[type] || '#4a5568' }));
    g.appendChild(s('rect', { width: 6, height: nh, rx: 2, fill: COLORS[type] || '#4a5568' }));
    g.appendChild(s('text', { x: 12, y: 13, class: 'node-type' }, type));
    const label = String(n.node.label || n.node.id);
    g.appendChild(s('text', { x: 12, y: 26, class: 'node-label' }, label.length > 30 ? `${label.slice(0, 29)}…` : label));
    g.appendChild(s('title', {}, `${n.node.label || n.node.id}\n${n.node.id}\n${JSON.stringify(n.node.attrs || {}).slice(0, 300)}`));
    svg.appendChild(link);
  }
  // Fit scales the graph down to its box, never up; zooming draws it at 1.5^k of its natural size.
  let zoom = 0;
  const setZoom = (k) => {
    zoom = Math.min(4, Math.max(0, k));
    svg.setAttribute('style', zoom === 0 ? fit : `width: ${Math.round(width * 1.5 ** (zoom - 1))}px; max-width: none; height: auto;`);
  };
  const button = (label, id, z) => h('button', { type: 'button', class: 'small', id, 'aria-label': label, onclick: () => setZoom(z()) }, label);
  return h(
    'figure',
    { class: 'graph-figure' },
    h(
      'p',
      { class: 'actions graph-zoom' },
      button('−', 'graph-zoom-out', () => zoom - 1),
      button('+', 'graph-zoom-in', () => zoom + 1),
      button('⤢', 'graph-fit', () => 0),
    ),
    h('div', { class: 'graph-box', tabindex: 0, 'aria-label': title }, svg),
  );
}
