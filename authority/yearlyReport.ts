// The yearly operation report (R26) and the authority's evaluation (R30), as pure functions of
// the facts the domain counts from its own records: the report is an HTML page with its charts
// inline (no script, no network), and the evaluation a score on documented criteria.

export interface YearFacts {
  readonly tenant: string;
  readonly org: string;
  readonly year: number;
  readonly generatedAt: string;
  readonly data: { readonly builds: number; readonly datasets: readonly { readonly dataset: string; readonly version: number; readonly rows: number }[] };
  readonly processing: {
    readonly jobs: readonly { readonly env: string; readonly state: string; readonly n: number }[];
    readonly queriesAllowed: number;
    readonly queriesRefused: number;
    readonly cpuMs: number;
  };
  readonly products: {
    readonly exportRequests: readonly { readonly verdict: string; readonly n: number }[];
    readonly bundles: number;
    readonly callsServed: number;
    readonly callsRefused: number;
    readonly consumers: number;
    readonly scenarios: readonly string[];
  };
  readonly security: {
    readonly refusals: readonly { readonly code: string; readonly n: number }[];
    readonly riskStopsRaised: number;
    readonly riskStopsOpen: number;
    readonly drills: number;
    readonly governanceReported: number;
    readonly governanceOverdue: number;
  };
  /** What the operator fills in: prices and revenue of its products (market operation, R26). */
  readonly market: { readonly items: readonly { readonly name: string; readonly price: string; readonly revenue: number }[]; readonly notes: string } | null;
}

export interface Criterion {
  readonly id: string;
  readonly weight: number;
  /** 0 to 1 of the weight. */
  readonly achieved: number;
  readonly basis: string;
}

/** The criteria (docs/authority.md): five from the records, one from the reviewers. */
export function evaluate(f: YearFacts, reviewer: { score: number; notes: string }): { score: number; criteria: Criterion[] } {
  const q = f.processing.queriesAllowed + f.processing.queriesRefused;
  const refusedShare = q === 0 ? 0 : f.processing.queriesRefused / q;
  const checks = f.products.exportRequests.reduce((a, x) => a + x.n, 0);
  const blocked = f.products.exportRequests.find((x) => x.verdict === 'block')?.n ?? 0;
  const blockedShare = checks === 0 ? 0 : blocked / checks;
  const linear = (x: number, good: number, bad: number) => Math.max(0, Math.min(1, (bad - x) / (bad - good)));
  const criteria: Criterion[] = [
    {
      id: 'queries_within_the_gate',
      weight: 20,
      achieved: linear(refusedShare, 0.01, 0.1),
      basis: `${f.processing.queriesRefused} of ${q} queries refused (full marks at ≤ 1%, none at ≥ 10%)`,
    },
    {
      id: 'exports_that_pass',
      weight: 20,
      achieved: linear(blockedShare, 0.1, 0.5),
      basis: `${blocked} of ${checks} export checks blocked (full marks at ≤ 10%, none at ≥ 50%)`,
    },
    {
      id: 'no_open_risk',
      weight: 20,
      achieved: f.security.riskStopsOpen === 0 ? 1 : 0,
      basis: `${f.security.riskStopsOpen} risk stops open at generation, ${f.security.riskStopsRaised} raised in the year`,
    },
    { id: 'emergency_drills', weight: 15, achieved: f.security.drills > 0 ? 1 : 0, basis: `${f.security.drills} drills recorded in the year` },
    {
      id: 'governance_on_time',
      weight: 10,
      achieved: f.security.governanceOverdue === 0 ? 1 : 0,
      basis: `${f.security.governanceOverdue} governance requests overdue of ${f.security.governanceReported} reported`,
    },
    {
      id: 'reviewers',
      weight: 15,
      achieved: Math.max(0, Math.min(100, reviewer.score)) / 100,
      basis: `reviewers' score ${reviewer.score}/100: ${reviewer.notes}`,
    },
  ];
  const score = Math.round(criteria.reduce((a, c) => a + c.weight * c.achieved, 0) * 10) / 10;
  return { score, criteria };
}

const esc = (s: unknown) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** A horizontal bar chart as inline SVG. */
function bars(title: string, data: readonly { label: string; value: number }[]): string {
  const max = Math.max(1, ...data.map((d) => d.value));
  const h = 22;
  const rows = data
    .map(
      (d, i) =>
        `<g transform="translate(0,${i * h})"><text x="0" y="15" font-size="12">${esc(d.label)}</text><rect x="170" y="3" width="${Math.round((d.value / max) * 300)}" height="14" fill="#1d4e89"/><text x="${178 + Math.round((d.value / max) * 300)}" y="15" font-size="12">${d.value}</text></g>`,
    )
    .join('');
  return `<figure><figcaption>${esc(title)}</figcaption><svg role="img" aria-label="${esc(title)}" width="560" height="${Math.max(h, data.length * h)}" xmlns="http://www.w3.org/2000/svg">${rows || '<text x="0" y="15" font-size="12">none</text>'}</svg></figure>`;
}

const table = (head: readonly string[], rows: readonly (readonly unknown[])[]) =>
  `<table><thead><tr>${head.map((x) => `<th>${esc(x)}</th>`).join('')}</tr></thead><tbody>${rows.length ? rows.map((r) => `<tr>${r.map((x) => `<td>${esc(x)}</td>`).join('')}</tr>`).join('') : `<tr><td colspan="${head.length}">none</td></tr>`}</tbody></table>`;

export function renderReport(f: YearFacts): string {
  const jobs = f.processing.jobs.map((j) => ({ label: `${j.env} · ${j.state}`, value: j.n }));
  const refusals = f.security.refusals.map((r) => ({ label: r.code, value: r.n }));
  const market = f.market
    ? `${table(
        ['product', 'price', 'revenue'],
        f.market.items.map((m) => [m.name, m.price, m.revenue]),
      )}<p>${esc(f.market.notes)}</p>`
    : '<p class="missing">The operator has not filled in the market operation yet.</p>';
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>${esc(f.org)} · ${f.year} 年度运营报告</title>
<style>body{font-family:"WenQuanYi Zen Hei","Noto Sans CJK SC",sans-serif;margin:32px;color:#1a1a1a}h1{font-size:22px}h2{font-size:17px;border-bottom:1px solid #ccc;padding-bottom:4px;margin-top:28px}table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #bbb;padding:4px 8px;font-size:13px;text-align:left}figure{margin:12px 0}figcaption{font-size:13px;font-weight:bold;margin-bottom:4px}.missing{color:#a33}footer{margin-top:32px;font-size:11px;color:#666}</style></head>
<body>
<h1>${esc(f.org)} — ${f.year} 年度运营报告 · Yearly operation report</h1>
<p>Authorization <b>${esc(f.tenant)}</b>. Every figure is counted by the domain from its own records (the audit log and the control store) for ${f.year}.</p>
<h2>1. Data used · 使用数据</h2>
<p>${f.data.builds} masked builds.</p>
${table(
  ['dataset', 'version', 'rows (prod, masked)'],
  f.data.datasets.map((d) => [d.dataset, d.version, d.rows]),
)}
<h2>2. Processing · 数据加工</h2>
<p>${f.processing.queriesAllowed} queries allowed, ${f.processing.queriesRefused} refused; ${Math.round(f.processing.cpuMs / 1000)} s of script CPU.</p>
${bars('Jobs by environment and outcome', jobs)}
<h2>3. Products · 数据产品</h2>
<p>${f.products.bundles} bundles released; ${f.products.callsServed} product calls served, ${f.products.callsRefused} refused; ${f.products.consumers} consumers; scenarios: ${esc(f.products.scenarios.join(', ') || 'none')}.</p>
${bars(
  'Export checks by verdict',
  f.products.exportRequests.map((x) => ({ label: x.verdict, value: x.n })),
)}
<h2>4. Security · 安全</h2>
<p>${f.security.riskStopsRaised} risk stops raised (${f.security.riskStopsOpen} open); ${f.security.drills} emergency drills; ${f.security.governanceReported} governance requests (${f.security.governanceOverdue} overdue).</p>
${bars('Refusals by code', refusals)}
<h2>5. Market operation · 市场化运营</h2>
${market}
<footer>Generated ${esc(f.generatedAt)} by the operating domain; signed with the domain's key (manifest.jws beside this file).</footer>
</body></html>
`;
}
