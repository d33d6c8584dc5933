// Reviewer pages: the queue (filters: state, risk, tenant, age) and one request — the output
// itself (table and chart, flagged cells highlighted), the report rule by rule, the script, the
// lineage graph, others' votes after one's own, and approve / return / reject.
import { api, enc } from '../lib/api.js';
import { badge, errorBox, fmtTime, h, mount, table, confirmDialog } from '../lib/dom.js';
import { barChart } from '../lib/chart.js';
import { traceGraph } from '../lib/graph.js';
import { getLang, t, tValue } from '../lib/i18n.js';

const STATES = ['draft', 'submitted', 'in_review', 'approved', 'released', 'returned', 'rejected', 'blocked', 'withdrawn', 'revoked'];
const filters = { state: '', verdict: '', tenant: '', age: '' };

export async function queuePage(root) {
  mount(root, h('p', { class: 'muted' }, t('loading')));
  const { requests } = await api('GET', '/api/exports');
  const tenants = [...new Set(requests.map((r) => r.tenant))].sort();
  const select = (key, label, options) =>
    h(
      'label',
      {},
      label,
      ' ',
      h(
        'select',
        {
          id: `filter-${key}`,
          onchange: (e) => {
            filters[key] = e.target.value;
            render();
          },
        },
        h('option', { value: '' }, t('any')),
        options.map(([v, l]) => h('option', { value: v, selected: filters[key] === v }, l)),
      ),
    );
  const list = h('div', { id: 'queue-list' });
  const render = () => {
    const now = Date.now();
    const rows = requests.filter((r) => {
      const age = now - new Date(r.createdAt).getTime();
      // An operator's draft is not the authority's until it is submitted: shown only when asked for by its state.
      return (
        (filters.state ? r.state === filters.state : r.state !== 'draft') &&
        (!filters.verdict || r.verdict === filters.verdict) &&
        (!filters.tenant || r.tenant === filters.tenant) &&
        (!filters.age || (filters.age === '1h' && age > 3600e3) || (filters.age === '1d' && age > 86400e3) || (filters.age === 'new' && age <= 86400e3))
      );
    });
    mount(
      list,
      h(
        'div',
        { class: 'table-scroll' },
        table(
          [t('id'), t('tenant'), t('output'), t('scenario'), t('risk'), t('state'), t('approvals'), t('requester'), t('created')],
          rows.map((r) =>
            h(
              'tr',
              { dataset: { id: r.id } },
              h('td', {}, h('a', { href: `#/request/${enc(r.id)}` }, r.id)),
              h('td', {}, r.tenant),
              h('td', {}, r.output),
              h('td', {}, r.scenario),
              h('td', {}, badge(r.verdict)),
              h('td', {}, badge(r.state, 'state')),
              h('td', {}, `${r.votes.filter((v) => v.decision === 'approve').length}${r.votesHidden ? '+?' : ''}/${r.requiredApprovals}`),
              h('td', {}, r.requester),
              h('td', {}, fmtTime(r.createdAt)),
            ),
          ),
          { caption: t('navQueue'), empty: t('none'), class: 'queue' },
        ),
      ),
    );
  };
  mount(
    root,
    h('h2', {}, t('navQueue')),
    h(
      'form',
      { class: 'filters', onsubmit: (e) => e.preventDefault() },
      select(
        'state',
        t('state'),
        STATES.map((s) => [s, tValue(s)]),
      ),
      select(
        'verdict',
        t('risk'),
        ['pass', 'review', 'block'].map((v) => [v, tValue(v)]),
      ),
      select(
        'tenant',
        t('tenant'),
        tenants.map((x) => [x, x]),
      ),
      select('age', t('age'), [
        ['new', t('newerThan1d')],
        ['1h', t('olderThan1h')],
        ['1d', t('olderThan1d')],
      ]),
      h('button', { type: 'button', onclick: () => queuePage(root) }, t('refresh')),
    ),
    list,
  );
  render();
}

/**
 * A rule's reason as the reader reads it: in Chinese, what the rule's verdict means, with the
 * check's own sentence (its figures and columns) kept beneath; in English, that sentence.
 */
function reasonCell(x) {
  if (getLang() === 'en') return h('td', {}, x.reason);
  return h('td', {}, t(`why_${x.rule}_${x.verdict}`), h('details', { class: 'small' }, h('summary', {}, t('checkWords')), h('span', { lang: 'en' }, x.reason)));
}

/** Every cell a rule flags or the fix changed, one line each: where, what it holds, and why. */
function flaggedCellsTable(o, r, flags, fixed) {
  const detail = new Map((r.details?.cells ?? []).map((c) => [`${c.row}:${c.column}`, c]));
  const keys = [...new Set([...flags.keys(), ...fixed.keys()])]
    .map((k) => {
      const i = k.indexOf(':');
      return [Number(k.slice(0, i)), k.slice(i + 1)];
    })
    .sort((a, b) => a[0] - b[0] || a[1].localeCompare(b[1]));
  if (keys.length === 0) return null;
  const col = new Map(o.columns.map((c, j) => [c.name, j]));
  const rulesOf = (row, column) =>
    r.rules.filter((x) => x.verdict !== 'pass' && (x.cells || []).some((c) => c.column === column && (c.row === undefined || c.row === row)));
  return h(
    'details',
    { id: 'flagged-cells', open: keys.length <= 20 },
    h('summary', {}, t('flaggedCells', { n: keys.length })),
    table(
      [t('rowWord'), t('colName'), t('valueWord'), t('verdict'), t('whyWord')],
      keys.slice(0, 500).map(([row, column]) => {
        const d = detail.get(`${row}:${column}`);
        const v = o.rows[row]?.[col.get(column)];
        const fix = fixed.get(`${row}:${column}`);
        const why = [
          ...rulesOf(row, column).map((x) => `${t(`rule_${x.rule}`)}`),
          d ? t('cellUnits', { u: d.units }) : '',
          d?.topShares ? t('cellTop', { s: d.topShares.map((x) => `${Math.round(x * 100)}%`).join(', ') }) : '',
          fix ? t('fixedCell', { r: fix.reason }) : '',
        ]
          .filter(Boolean)
          .join(' · ');
        return h(
          'tr',
          { dataset: { row: String(row), column }, class: fix ? 'fixed' : `flag flag-${flags.get(`${row}:${column}`)}` },
          h('td', {}, String(row + 1)),
          h('td', {}, h('code', {}, column)),
          h('td', {}, v === null || v === undefined ? '∅' : String(v)),
          h('td', {}, fix ? badge('fixed', 'review') : badge(flags.get(`${row}:${column}`))),
          h('td', {}, why),
        );
      }),
      { class: 'data' },
    ),
  );
}

export async function requestPage(root, id) {
  mount(root, h('p', { class: 'muted' }, t('loading')));
  const r = await api('GET', `/api/exports/${enc(id)}`);
  const flags = new Map();
  for (const rule of r.rules)
    for (const c of rule.cells || []) if (rule.verdict !== 'pass' && c.row !== undefined) flags.set(`${c.row}:${c.column}`, rule.verdict);
  const flaggedColumns = new Map();
  for (const rule of r.rules) for (const c of rule.cells || []) if (rule.verdict !== 'pass' && c.row === undefined) flaggedColumns.set(c.column, rule.verdict);

  const outputBox = h('div', { id: 'output' });
  const scriptBox = h('pre', { id: 'script', class: 'code', tabindex: 0 });
  const paramsBox = h('pre', { id: 'job-params', class: 'code' });
  const graphBox = h('div', { id: 'graph' });
  const status = h('p', { id: 'decision-status', role: 'status' });
  const approvals = r.votes.filter((v) => v.decision === 'approve').length;
  // The server says what this person may do (the state table and who may act); the page does not guess.
  const mayDecide = r.actions.includes('approve');
  const comment = h('textarea', { id: 'comment', rows: 2, 'aria-label': t('comment'), placeholder: t('commentPlaceholder') });
  // Revoking a released bundle is the authority's (reviewers, security, administrators), with a reason.
  const mayRevoke = r.actions.includes('revoke');
  const revokeBundle = async () => {
    const reason = await confirmDialog({
      title: `${t('revokeBundle')} · ${r.id}`,
      message: t('confirmAction', { a: t('revoke'), id: r.id }),
      confirmLabel: t('revoke'),
      cancelLabel: t('cancel'),
      reasonLabel: t('reasonLabel'),
      reasonRequired: true,
    });
    if (reason === null) return;
    try {
      await api('POST', `/api/exports/${enc(id)}/revoke`, { reason });
      await requestPage(root, id);
    } catch (e) {
      status.replaceWith(errorBox(e));
    }
  };
  const decide = async (decision) => {
    try {
      const after = await api('POST', `/api/exports/${enc(id)}/${decision}`, { comment: comment.value || undefined });
      await requestPage(root, id);
      const s = document.getElementById('decision-status');
      if (s) s.textContent = t('decided', { d: `${decision} → ${after.state}` });
    } catch (e) {
      status.replaceWith(errorBox(e));
    }
  };

  mount(
    root,
    h('p', {}, h('a', { href: '#/queue' }, '← ', t('navQueue'))),
    h('h2', {}, t('request'), ' ', h('code', {}, r.id), ' ', badge(r.state, 'state'), ' ', badge(r.verdict)),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, t('tenant')),
      h('dd', {}, r.tenant),
      h('dt', {}, t('scenario')),
      h('dd', {}, r.scenario),
      h('dt', {}, t('requester')),
      h('dd', {}, r.requester),
      h('dt', {}, t('output')),
      h('dd', {}, r.output),
      h('dt', {}, t('purpose')),
      h('dd', { id: 'purpose' }, r.purpose || h('span', { class: 'muted' }, t('noPurpose'))),
      h('dt', {}, t('approvals')),
      h('dd', { id: 'approvals' }, `${approvals}/${r.requiredApprovals}`),
      h('dt', {}, t('created')),
      h('dd', {}, fmtTime(r.createdAt)),
    ),
    r.fix
      ? h(
          'p',
          { class: 'note', id: 'fix-note' },
          t('fixApplied', { n: r.fix.suppressed.length, r: r.fix.rounded ? t('fixRounded', { b: r.fix.rounded.base }) : '' }),
          ' ',
          h('span', { class: 'fixed legend' }, t('fixLegend')),
        )
      : null,
    r.argument
      ? h('section', { 'aria-labelledby': 'h-argument' }, h('h3', { id: 'h-argument' }, t('argument')), h('blockquote', { id: 'argument' }, r.argument))
      : null,
    r.details
      ? h(
          'section',
          { 'aria-labelledby': 'h-provenance' },
          h('h3', { id: 'h-provenance' }, t('provenance')),
          table(
            [t('output'), t('source'), t('role'), t('fields')],
            r.details.columns.map((c) =>
              h(
                'tr',
                { class: c.role === 'script-derived' ? 'flag flag-review' : '', dataset: { column: c.name } },
                h('td', {}, c.name),
                h('td', {}, c.source),
                h('td', {}, c.role),
                h('td', {}, c.fields.join(', ')),
              ),
            ),
            { class: 'data', caption: t('provenance') },
          ),
        )
      : null,
    h(
      'section',
      { 'aria-labelledby': 'h-report' },
      h('h3', { id: 'h-report' }, t('checkReport')),
      table(
        [t('rule'), t('verdict'), t('reason')],
        r.rules.map((x) =>
          h(
            'tr',
            { class: `rule rule-${x.verdict}`, dataset: { rule: x.rule } },
            h('td', {}, t(`rule_${x.rule}`), h('br'), h('code', { class: 'muted small' }, x.rule)),
            h('td', {}, badge(x.verdict)),
            reasonCell(x),
          ),
        ),
      ),
    ),
    h('section', { 'aria-labelledby': 'h-output' }, h('h3', { id: 'h-output' }, t('theOutput')), outputBox),
    h(
      'section',
      { 'aria-labelledby': 'h-votes' },
      h('h3', { id: 'h-votes' }, t('votes')),
      r.votes.length === 0 && !r.votesHidden ? h('p', { class: 'muted' }, t('noVotes')) : null,
      r.votesHidden ? h('p', { class: 'muted', id: 'votes-hidden' }, t('votesHidden', { n: r.votesHidden })) : null,
      r.votes.length
        ? h(
            'ul',
            { id: 'votes' },
            r.votes.map((v) => h('li', {}, badge(v.decision, 'state'), ` ${v.reviewer} · ${fmtTime(v.at)}`, v.comment ? ` — “${v.comment}”` : '')),
          )
        : null,
      mayDecide
        ? h(
            'form',
            { class: 'decide', onsubmit: (e) => e.preventDefault() },
            h('label', {}, t('comment'), comment),
            h(
              'p',
              { class: 'actions' },
              h('button', { type: 'button', id: 'approve', class: 'primary', onclick: () => decide('approve') }, t('approve')),
              h('button', { type: 'button', id: 'return', onclick: () => decide('return') }, t('return')),
              h('button', { type: 'button', id: 'reject', class: 'danger', onclick: () => decide('reject') }, t('reject')),
            ),
          )
        : null,
      mayRevoke
        ? h('p', { class: 'actions' }, h('button', { type: 'button', id: 'revoke-bundle', class: 'danger', onclick: revokeBundle }, t('revokeBundle')))
        : null,
      status,
    ),
    h('section', { 'aria-labelledby': 'h-script' }, h('h3', { id: 'h-script' }, t('script')), h('h4', {}, t('jobParams')), paramsBox, scriptBox),
    h('section', { 'aria-labelledby': 'h-lineage' }, h('h3', { id: 'h-lineage' }, t('lineage')), graphBox),
  );

  api('GET', `/api/exports/${enc(id)}/output`)
    .then((o) => {
      const shown = o.rows.slice(0, 200);
      const cls = (i, c) => flags.get(`${i}:${c}`) || flaggedColumns.get(c);
      // Cells the one-step fix changed (suppressed), marked apart from what the rules flag.
      const fixed = new Map((r.fix?.suppressed ?? []).map((x) => [`${x.row}:${x.column}`, x]));
      // Per cell what the check measured: units, the largest units' shares, the rules that flag it.
      const cellInfo = new Map(
        (r.details?.cells ?? []).map((c) => [
          `${c.row}:${c.column}`,
          [
            t('cellUnits', { u: c.units }),
            c.topShares ? t('cellTop', { s: c.topShares.map((x) => `${Math.round(x * 100)}%`).join(', ') }) : '',
            c.rules.length ? t('cellRules', { r: c.rules.join(', ') }) : '',
          ]
            .filter(Boolean)
            .join(' · '),
        ]),
      );
      mount(
        outputBox,
        h('p', { class: 'muted' }, t('rowsShown', { n: shown.length, m: o.rows.length }), ' · ', t('flagged')),
        barChart(o.columns, o.rows, flags, `${r.output}`),
        h(
          'div',
          { class: 'scroll' },
          table(
            o.columns.map((c) => c.name),
            shown.map((row, i) =>
              h(
                'tr',
                {},
                row.map((v, j) => {
                  const f = cls(i, o.columns[j].name);
                  const info = cellInfo.get(`${i}:${o.columns[j].name}`);
                  const fix = fixed.get(`${i}:${o.columns[j].name}`);
                  const classes = [f ? `flag flag-${f}` : '', fix ? 'fixed' : ''].filter(Boolean).join(' ');
                  return h(
                    'td',
                    { class: classes, title: [f, info, fix ? t('fixedCell', { r: fix.reason }) : ''].filter(Boolean).join(' · ') || undefined },
                    v === null ? '∅' : typeof v === 'object' ? JSON.stringify(v) : String(v),
                  );
                }),
              ),
            ),
            { class: 'data' },
          ),
        ),
        flaggedCellsTable(o, r, flags, fixed),
      );
    })
    .catch((e) => mount(outputBox, e.status === 403 ? h('p', { class: 'muted' }, t('noOutput')) : errorBox(e)));
  api('GET', `/api/jobs/${enc(r.jobId)}/script`)
    .then((s) => {
      // The parameters the job ran with come first: the script's own defaults may say otherwise.
      const entries = Object.entries(s.params || {});
      paramsBox.textContent = entries.length ? entries.map(([k, v]) => `${k} = ${JSON.stringify(v)}`).join('\n') : t('noParams');
      scriptBox.textContent = s.body;
    })
    .catch((e) => mount(scriptBox, e.message));
  api('GET', `/api/lineage/trace/${enc(id)}`)
    .then((tree) => mount(graphBox, traceGraph(tree, `${t('lineage')} ${id}`)))
    .catch((e) => mount(graphBox, errorBox(e)));
}
