// The console talks only to the public HTTP API with the user's token (no back door).
'use strict';
const $ = (id) => document.getElementById(id);
let token = sessionStorage.getItem('opdomain-token') || '';
let current = null;

async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const type = res.headers.get('content-type') || '';
  const data = type.includes('json') ? await res.json() : await res.text();
  if (!res.ok) throw new Error(data && data.error ? `${data.error.code}: ${data.error.message}` : `HTTP ${res.status}`);
  return data;
}

function text(el, value) { el.textContent = value; return el; }
function cell(tr, value, cls) { const td = document.createElement('td'); text(td, value ?? ''); if (cls) td.className = cls; tr.appendChild(td); return td; }

async function whoami() {
  if (!token) { text($('who'), 'not signed in · 未登录'); return; }
  try {
    const me = await api('GET', '/api/whoami');
    text($('who'), `${me.display} · ${me.role}${me.tenant ? ' · ' + me.tenant : ''}`);
    await refresh();
  } catch (e) { text($('who'), String(e.message)); }
}

async function refresh() {
  const { requests } = await api('GET', '/api/exports');
  const body = $('queue');
  body.replaceChildren();
  for (const r of requests) {
    const tr = document.createElement('tr');
    cell(tr, r.id); cell(tr, r.tenant); cell(tr, r.output); cell(tr, r.scenario); cell(tr, r.verdict, r.verdict); cell(tr, r.state); cell(tr, r.requester);
    const td = cell(tr, '');
    const b = document.createElement('button'); text(b, 'Open · 查看'); b.onclick = () => open(r.id); td.appendChild(b);
    body.appendChild(tr);
  }
}

async function open(id) {
  current = id;
  const r = await api('GET', `/api/exports/${encodeURIComponent(id)}`);
  $('detail').hidden = false;
  text($('detail-id'), `${r.id} — ${r.state} (${r.votes.filter((v) => v.decision === 'approve').length}/${r.requiredApprovals} approvals)`);
  const rules = $('rules'); rules.replaceChildren();
  const t = document.createElement('table');
  for (const rule of r.rules) { const tr = document.createElement('tr'); cell(tr, rule.rule); cell(tr, rule.verdict, rule.verdict); cell(tr, rule.reason); t.appendChild(tr); }
  rules.appendChild(t);
  const out = $('output'); out.replaceChildren();
  try {
    const o = await api('GET', `/api/exports/${encodeURIComponent(id)}/output`);
    const ot = document.createElement('table');
    const head = document.createElement('tr'); for (const c of o.columns) { const th = document.createElement('th'); text(th, c.name); head.appendChild(th); } ot.appendChild(head);
    for (const row of o.rows.slice(0, 200)) { const tr = document.createElement('tr'); for (const v of row) cell(tr, v === null ? '' : String(v)); ot.appendChild(tr); }
    out.appendChild(ot);
  } catch (e) { text(out, e.message); }
  try { text($('trace'), await api('GET', `/api/lineage/trace/${encodeURIComponent(id)}?format=text`)); } catch (e) { text($('trace'), e.message); }
}

for (const b of document.querySelectorAll('[data-decision]')) {
  b.onclick = async () => {
    try { await api('POST', `/api/exports/${encodeURIComponent(current)}/${b.dataset.decision}`, { comment: $('comment').value || undefined }); await open(current); await refresh(); }
    catch (e) { alert(e.message); }
  };
}
$('signin-btn').onclick = () => { token = $('token').value.trim(); sessionStorage.setItem('opdomain-token', token); whoami(); };
$('signout-btn').onclick = () => { token = ''; sessionStorage.removeItem('opdomain-token'); whoami(); };
$('refresh').onclick = () => refresh().catch((e) => alert(e.message));
$('verify').onclick = async () => { try { text($('verify-out'), JSON.stringify(await api('POST', '/api/lineage/verify'), null, 2)); } catch (e) { text($('verify-out'), e.message); } };
whoami();
