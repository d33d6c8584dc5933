// Security pages: the audit log with filters (tenant, user, kind, time), each entry's proof
// checked in the page against the signed checkpoint; the whole log verified by the server;
// any node traced upstream or downstream as a graph; a job replayed to MATCH or MISMATCH.
import { api, enc } from '../lib/api.js';
import { badge, errorBox, fmtTime, h, mount, table } from '../lib/dom.js';
import { traceGraph } from '../lib/graph.js';
import { t } from '../lib/i18n.js';
import { checkEntry } from '../lib/merkle.js';

const KINDS = [
  '',
  'SIGN_IN',
  'JOB_STARTED',
  'JOB_FINISHED',
  'QUERY',
  'OUTPUT_CREATED',
  'EXPORT_REQUESTED',
  'EXPORT_VIEWED',
  'EXPORT_VOTE',
  'EXPORT_STATE_CHANGED',
  'EXPORT_REVISED',
  'BUNDLE_CREATED',
  'BUNDLE_DOWNLOADED',
  'TENANT_STATE_CHANGED',
  'TENANT_BUILT',
  'USER_REGISTERED',
  'AUTH_REFUSED',
  'ACCESS_DENIED',
  'REPLAY',
  'LOG_VERIFIED',
];
const filters = { tenant: '', actor: '', kind: '', since: '', until: '' };
let jwks;

export async function auditPage(root) {
  jwks ||= await api('GET', '/.well-known/jwks.json');
  const list = h('div', { id: 'audit-list' });
  const verifyOut = h('p', { id: 'verify-out', role: 'status' });
  const input = (key, label, type = 'text') =>
    h(
      'label',
      {},
      label,
      ' ',
      h('input', {
        id: `audit-${key}`,
        type,
        value: filters[key],
        oninput: (e) => {
          filters[key] = e.target.value;
        },
      }),
    );
  const load = async () => {
    const q = new URLSearchParams({ order: 'desc', limit: '200' });
    for (const [k, v] of Object.entries(filters)) if (v) q.set(k, k === 'since' || k === 'until' ? new Date(v).toISOString() : v);
    try {
      const { entries } = await api('GET', `/api/audit?${q}`);
      mount(
        list,
        table(
          [t('seq'), t('at'), t('kind'), t('actor'), t('tenant'), t('subject'), ''],
          entries.map((e) => {
            const out = h('span', { class: 'proof', id: `proof-${e.seq}`, role: 'status' });
            return h(
              'tr',
              { dataset: { seq: e.seq } },
              h('td', {}, e.seq),
              h('td', {}, fmtTime(e.at)),
              h('td', {}, e.kind),
              h('td', {}, e.actor),
              h('td', {}, e.tenant ?? ''),
              h('td', {}, e.subject ? h('a', { href: `#/trace/${enc(e.subject)}` }, e.subject) : ''),
              h(
                'td',
                {},
                h(
                  'button',
                  {
                    type: 'button',
                    class: 'small',
                    'aria-label': `${t('checkProof')} ${e.seq}`,
                    onclick: async () => {
                      out.textContent = '…';
                      try {
                        const r = await checkEntry(await api('GET', `/api/audit/entries/${e.seq}`), jwks);
                        out.textContent = r.ok ? t('proofOk', { size: r.size }) : t('proofBad', { p: r.problems.join(', ') });
                        out.className = `proof ${r.ok ? 'ok' : 'bad'}`;
                      } catch (err) {
                        out.textContent = err.message;
                      }
                    },
                  },
                  t('checkProof'),
                ),
                ' ',
                out,
              ),
            );
          }),
          { caption: t('auditLog'), empty: t('none') },
        ),
      );
    } catch (e) {
      mount(list, errorBox(e));
    }
  };
  mount(
    root,
    h('h2', {}, t('auditLog')),
    h(
      'p',
      {},
      h(
        'button',
        {
          type: 'button',
          id: 'verify-log',
          class: 'primary',
          onclick: async () => {
            verifyOut.textContent = t('loading');
            try {
              const v = await api('POST', '/api/lineage/verify');
              verifyOut.textContent = v.ok ? t('logOk', { n: v.entries }) : t('logBad', { p: v.problem ? v.problem.reason : '?' });
              verifyOut.className = v.ok ? 'ok' : 'bad';
            } catch (e) {
              verifyOut.textContent = e.message;
            }
          },
        },
        t('verifyLog'),
      ),
      ' ',
      verifyOut,
    ),
    h(
      'form',
      {
        class: 'filters',
        onsubmit: (e) => {
          e.preventDefault();
          load();
        },
      },
      input('tenant', t('tenant')),
      input('actor', t('actor')),
      h(
        'label',
        {},
        t('kind'),
        ' ',
        h(
          'select',
          {
            id: 'audit-kind',
            onchange: (e) => {
              filters.kind = e.target.value;
            },
          },
          KINDS.map((k) => h('option', { value: k, selected: filters.kind === k }, k || t('any'))),
        ),
      ),
      input('since', t('since'), 'datetime-local'),
      input('until', t('until'), 'datetime-local'),
      h('button', { type: 'submit', id: 'audit-filter' }, t('filter')),
    ),
    list,
  );
  await load();
}

export async function tracePage(root, id = '') {
  const graph = h('div', { id: 'trace-graph' });
  const replayOut = h('p', { id: 'replay-out', role: 'status' });
  const node = h('input', { id: 'trace-node', value: id, 'aria-label': t('node'), placeholder: t('node') });
  const dir = h(
    'select',
    { id: 'trace-direction', 'aria-label': t('direction') },
    h('option', { value: 'up' }, t('upstream')),
    h('option', { value: 'down' }, t('downstream')),
  );
  const job = h('input', { id: 'replay-job', 'aria-label': t('jobId'), placeholder: t('jobId') });
  const draw = async () => {
    if (!node.value.trim()) return;
    try {
      const tree = await api('GET', `/api/lineage/trace/${enc(node.value.trim())}?direction=${dir.value}`);
      mount(graph, traceGraph(tree, `${t('trace')} ${node.value}`));
    } catch (e) {
      mount(graph, errorBox(e));
    }
  };
  mount(
    root,
    h('h2', {}, t('navTrace')),
    h(
      'form',
      {
        class: 'filters',
        onsubmit: (e) => {
          e.preventDefault();
          location.hash = `#/trace/${enc(node.value.trim())}`;
          draw();
        },
      },
      h('label', {}, t('node'), ' ', node),
      h('label', {}, t('direction'), ' ', dir),
      h('button', { type: 'submit', id: 'trace-go', class: 'primary' }, t('trace')),
    ),
    graph,
    h('h3', {}, t('replay')),
    h(
      'form',
      {
        class: 'filters',
        onsubmit: async (e) => {
          e.preventDefault();
          replayOut.textContent = t('loading');
          try {
            const r = await api('POST', `/api/lineage/replay/${enc(job.value.trim())}`);
            mount(
              replayOut,
              badge(r.result === 'MATCH' ? t('match') : t('mismatch'), r.result === 'MATCH' ? 'pass' : 'block'),
              ' ',
              r.reason || (r.outputs || []).map((o) => `${o.name}`).join(', '),
            );
          } catch (err) {
            mount(replayOut, errorBox(err));
          }
        },
      },
      h('label', {}, t('jobId'), ' ', job),
      h('button', { type: 'submit', id: 'replay-go' }, t('replayRun')),
    ),
    replayOut,
  );
  await draw();
}
