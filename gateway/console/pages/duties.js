// The authority's workflows, one page for every role: governance requests (operators report,
// reviewers assign with a deadline, administrators close), data demand lists (operators file,
// reviewers decide item by item, administrators apply), drills, and the yearly report with its
// evaluation. Buttons come from each record's `actions`, which the server computes.
import { api, enc, session } from '../lib/api.js';
import { badge, errorBox, fmtTime, h, mount, table } from '../lib/dom.js';
import { t } from '../lib/i18n.js';

const YEAR = new Date().getUTCFullYear();
const inFortnight = () => new Date(Date.now() + 14 * 86_400_000).toISOString().slice(0, 10);

function governanceSection(requests, act) {
  const role = session.me.role;
  const rows = requests.map((g) => {
    const dept = h('input', { type: 'text', class: 'small', 'aria-label': t('department'), placeholder: t('department'), value: '' });
    const deadline = h('input', { type: 'date', class: 'small', 'aria-label': t('deadline'), value: inFortnight() });
    const note = h('input', { type: 'text', class: 'small', 'aria-label': t('resolution'), placeholder: t('resolution') });
    const version = h('input', { type: 'number', class: 'small', min: 1, value: 1, 'aria-label': t('version') });
    const buttons = g.actions.map((a) =>
      h(
        'button',
        {
          type: 'button',
          class: `small${a === 'assign' || a === 'resolve' ? ' primary' : ''}`,
          dataset: { action: a },
          onclick: () =>
            act(() =>
              api(
                'POST',
                `/api/governance/${enc(g.id)}/${a}`,
                a === 'assign'
                  ? { department: dept.value, deadline: deadline.value }
                  : a === 'resolve'
                    ? { resolution: note.value, fixedVersion: Number(version.value) }
                    : a === 'reject'
                      ? { reason: note.value }
                      : {},
              ),
            ),
        },
        t(a === 'assign' ? 'assign' : a),
      ),
    );
    const inputs = [
      g.actions.includes('assign') ? [dept, deadline] : null,
      g.actions.some((a) => a === 'resolve' || a === 'reject') ? note : null,
      g.actions.includes('resolve') ? version : null,
    ];
    return h(
      'tr',
      { dataset: { id: g.id } },
      h('td', {}, g.id),
      h('td', {}, `${g.dataset}${g.field ? `.${g.field}` : ''}`),
      h('td', {}, g.problem),
      h('td', {}, badge(g.state, 'state'), g.overdue ? [' ', badge(t('overdue'), 'block')] : null),
      h('td', {}, g.department ? `${g.department} · ${fmtTime(g.deadline)}` : ''),
      h('td', {}, g.resolution || ''),
      h('td', {}, inputs, ' ', buttons),
    );
  });
  const form =
    role === 'operator'
      ? (() => {
          const ds = h('input', { id: 'gov-dataset', type: 'text', class: 'small', 'aria-label': t('dataset'), placeholder: 'population' });
          const field = h('input', { id: 'gov-field', type: 'text', class: 'small', 'aria-label': t('field'), placeholder: 'address' });
          const problem = h('input', { id: 'gov-problem', type: 'text', 'aria-label': t('problem'), placeholder: t('problem') });
          return h(
            'form',
            {
              onsubmit: (e) => {
                e.preventDefault();
                act(() =>
                  api('POST', '/api/governance', {
                    dataset: ds.value.trim(),
                    ...(field.value.trim() ? { field: field.value.trim() } : {}),
                    problem: problem.value,
                  }),
                );
              },
            },
            ds,
            ' ',
            field,
            ' ',
            problem,
            ' ',
            h('button', { type: 'submit', id: 'gov-report', class: 'small primary' }, t('reportProblem')),
          );
        })()
      : null;
  return h(
    'section',
    { 'aria-labelledby': 'h-gov' },
    h('h3', { id: 'h-gov' }, t('governance')),
    form,
    table([t('id'), t('dataset'), t('problem'), t('state'), t('assignedTo'), t('resolution'), t('actions')], rows, { empty: t('none') }),
  );
}

function demandSection(lists, act) {
  const role = session.me.role;
  const rows = lists.flatMap((l) =>
    l.items.map((it, i) => {
      const reason = h('input', { type: 'text', class: 'small', 'aria-label': t('reason'), placeholder: t('reason') });
      const deciding = l.actions.includes('decide_item') && !it.decision;
      return h(
        'tr',
        { dataset: { list: l.id, item: String(i) } },
        h('td', {}, i === 0 ? [l.id, ' ', badge(l.state, 'state')] : ''),
        h('td', {}, `${it.dataset}${it.fields ? ` (${it.fields.join(', ')})` : ''}`),
        h('td', {}, it.scenario),
        h('td', {}, it.justification),
        h('td', {}, it.provinceConsent ? badge(t('provinceConsent'), 'review') : ''),
        h(
          'td',
          {},
          it.decision ? [badge(it.decision.outcome, it.decision.outcome === 'approve' ? 'pass' : 'block'), ` ${it.decision.by} ${it.decision.reason}`] : '',
        ),
        h(
          'td',
          {},
          deciding
            ? [
                h(
                  'button',
                  {
                    type: 'button',
                    class: 'small primary',
                    dataset: { action: 'approve-item' },
                    onclick: () => act(() => api('POST', `/api/demands/${enc(l.id)}/items/${i}/approve`, {})),
                  },
                  t('approve'),
                ),
                ' ',
                reason,
                ' ',
                h(
                  'button',
                  {
                    type: 'button',
                    class: 'small',
                    dataset: { action: 'refuse-item' },
                    onclick: () => act(() => api('POST', `/api/demands/${enc(l.id)}/items/${i}/refuse`, { reason: reason.value })),
                  },
                  t('refuse'),
                ),
              ]
            : null,
          i === 0 && l.actions.includes('apply')
            ? h(
                'button',
                {
                  type: 'button',
                  class: 'small primary',
                  dataset: { action: 'apply' },
                  onclick: () => act(() => api('POST', `/api/demands/${enc(l.id)}/apply`)),
                },
                t('applyGrants'),
              )
            : null,
          i === 0 && l.actions.includes('withdraw')
            ? h(
                'button',
                {
                  type: 'button',
                  class: 'small',
                  dataset: { action: 'withdraw' },
                  onclick: () => act(() => api('POST', `/api/demands/${enc(l.id)}/withdraw`)),
                },
                t('withdraw'),
              )
            : null,
        ),
      );
    }),
  );
  const form =
    role === 'operator'
      ? (() => {
          const items = h(
            'textarea',
            { id: 'demand-items', rows: 4, class: 'code', 'aria-label': t('demandItems'), spellcheck: 'false' },
            JSON.stringify(
              {
                items: [
                  {
                    dataset: 'enterprise',
                    fields: ['industry_code', 'county_code'],
                    scenario: 'public-statistics',
                    justification: 'firms by industry and county for the statistics',
                  },
                ],
              },
              null,
              2,
            ),
          );
          return h(
            'form',
            {
              onsubmit: (e) => {
                e.preventDefault();
                act(() => api('POST', '/api/demands', JSON.parse(items.value)));
              },
            },
            items,
            h('p', {}, h('button', { type: 'submit', id: 'demand-file', class: 'small primary' }, t('fileDemand'))),
          );
        })()
      : null;
  return h(
    'section',
    { 'aria-labelledby': 'h-demand' },
    h('h3', { id: 'h-demand' }, t('demandLists')),
    form,
    table([t('id'), t('dataset'), t('scenario'), t('reason'), t('consent'), t('decision'), t('actions')], rows, { empty: t('none') }),
  );
}

function reportSection(tenant, act, status) {
  const role = session.me.role;
  if (!tenant) return null;
  const out = h('div', { id: 'report-out' });
  const generate =
    role !== 'operator'
      ? h(
          'button',
          {
            type: 'button',
            id: 'report-generate',
            class: 'small primary',
            onclick: () =>
              act(
                async () => {
                  const r = await api('POST', `/api/reports/${enc(tenant)}/${YEAR}`);
                  const f = r.facts;
                  mount(
                    out,
                    h(
                      'p',
                      {},
                      t('reportDone', { q: f.processing.queriesAllowed, r: f.processing.queriesRefused, c: f.products.callsServed, d: f.security.drills }),
                    ),
                    h(
                      'ul',
                      {},
                      r.files.map((x) => h('li', {}, `${x.name} · sha256 ${x.sha256.slice(0, 16)}…`)),
                    ),
                  );
                },
                { keep: true },
              ),
          },
          t('generateReport', { y: YEAR }),
        )
      : null;
  const score = h('input', { id: 'eval-score', type: 'number', class: 'small', min: 0, max: 100, value: 80, 'aria-label': t('score') });
  const notes = h('input', { id: 'eval-notes', type: 'text', 'aria-label': t('notes'), placeholder: t('notes') });
  const evaluate =
    role === 'reviewer' || role === 'admin'
      ? h(
          'span',
          {},
          score,
          ' ',
          notes,
          ' ',
          h(
            'button',
            {
              type: 'button',
              id: 'eval-run',
              class: 'small',
              onclick: () =>
                act(
                  async () => {
                    const e = await api('POST', `/api/reports/${enc(tenant)}/${YEAR}/evaluation`, { score: Number(score.value), notes: notes.value });
                    mount(status, t('evaluated', { s: e.score }));
                  },
                  { keep: true },
                ),
            },
            t('evaluate'),
          ),
        )
      : null;
  return h(
    'section',
    { 'aria-labelledby': 'h-report' },
    h('h3', { id: 'h-report' }, t('yearlyReport', { y: YEAR, t: tenant })),
    h('p', { class: 'actions' }, generate, ' ', evaluate),
    out,
  );
}

export async function dutiesPage(root) {
  mount(root, h('p', { class: 'muted' }, t('loading')));
  const me = session.me;
  const [{ requests }, { lists }, supervision] = await Promise.all([
    api('GET', '/api/governance'),
    api('GET', '/api/demands'),
    me.role === 'security' || me.role === 'admin' ? api('GET', '/api/supervision') : Promise.resolve({ domains: [] }),
  ]);
  const status = h('p', { id: 'duties-status', role: 'status' });
  const act = async (fn, opts = {}) => {
    try {
      await fn();
      if (!opts.keep) await dutiesPage(root);
    } catch (e) {
      mount(status, errorBox(e));
    }
  };
  const tenant = me.tenant || 'demo';
  const flags = supervision.domains.filter((x) => x.flags.length > 0);
  mount(
    root,
    h('h2', {}, t('navDuties')),
    status,
    flags.length
      ? h(
          'section',
          { 'aria-labelledby': 'h-flags' },
          h('h3', { id: 'h-flags' }, t('needsAttention')),
          h(
            'ul',
            {},
            flags.map((x) =>
              h(
                'li',
                { dataset: { tenant: x.id } },
                h('b', {}, x.id),
                ': ',
                x.attention.map((a) => t(`attention_${a.kind}${a.kind === 'drill_overdue' && !a.since ? '_never' : ''}`, a)).join('; '),
              ),
            ),
          ),
        )
      : null,
    governanceSection(requests, act),
    demandSection(lists, act),
    reportSection(tenant, act, status),
  );
}
