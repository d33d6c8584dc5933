// Operators' own data and privacy computing, one page for every role: operators declare a
// dataset and upload its file, and see their requests, intersections and budgets; reviewers
// decide on imports waiting for them (the declaration, lawful basis and the profile the domain
// measured in view); administrators set privacy budgets. Buttons come from each request's
// `actions`, which the server computes.
import { api, enc, session, upload } from '../lib/api.js';
import { badge, errorBox, fmtTime, h, mount, table } from '../lib/dom.js';
import { t } from '../lib/i18n.js';

const EXAMPLE = {
  name: 'customers',
  title: '银行客户 bank customers',
  lawfulBasis: 'consent',
  consentRef: 'CONSENT-2026-001',
  fields: [
    { name: 'customer_id', type: 'VARCHAR', category: 'personal', grade: 'general', role: 'direct_identifier', identifies: 'person', required: true },
    { name: 'segment', type: 'VARCHAR', category: 'personal', grade: 'general', role: 'other' },
    { name: 'spend', type: 'DOUBLE', category: 'personal', grade: 'general', role: 'sensitive_attribute' },
  ],
};

function profileCell(r) {
  if (!r.profile) return r.error ? badge(r.error.code, 'block') : '—';
  const flagged = r.profile.columns.filter((c) => c.flagged).map((c) => c.column);
  return h(
    'details',
    {},
    h('summary', {}, t('profileLine', { r: r.profile.rows, f: flagged.length ? t('flaggedCols', { c: flagged.join(', ') }) : t('noFlags') })),
    table(
      [t('field'), 'nulls', 'distinct', 'ID / mobile / credit code'],
      r.profile.columns.map((c) =>
        h(
          'tr',
          {},
          h('td', {}, c.column),
          h('td', {}, `${c.nulls} (${(c.nullRate * 100).toFixed(1)}%)`),
          h('td', {}, String(c.distinct)),
          h('td', {}, `${c.patterns.residentId} / ${c.patterns.mobile} / ${c.patterns.creditCode}`),
        ),
      ),
    ),
  );
}

function requestRow(r, act) {
  const comment = h('input', { type: 'text', class: 'small', 'aria-label': t('comment'), placeholder: t('comment') });
  const file = h('input', { type: 'file', accept: '.csv,.parquet', 'aria-label': t('dataFile') });
  const buttons = r.actions.map((a) =>
    a === 'upload'
      ? h(
          'span',
          {},
          file,
          ' ',
          h(
            'button',
            { type: 'button', class: 'small', dataset: { action: a }, onclick: () => act(() => upload(`/api/imports/${enc(r.id)}/file`, file.files[0])) },
            t('upload'),
          ),
        )
      : h(
          'button',
          {
            type: 'button',
            class: `small${a === 'approve' ? ' primary' : ''}`,
            dataset: { action: a },
            onclick: () =>
              act(() => api('POST', `/api/imports/${enc(r.id)}/${a === 'vote_approve' ? 'approve' : a}`, comment.value ? { comment: comment.value } : {})),
          },
          t(a === 'vote_approve' ? 'approve' : a),
        ),
  );
  const decide = r.actions.some((a) => a === 'approve' || a === 'return' || a === 'vote_approve');
  return h(
    'tr',
    { dataset: { import: r.id, dataset: r.dataset } },
    h('td', {}, r.dataset),
    h('td', {}, r.declaration.title),
    h('td', {}, `${r.declaration.lawfulBasis}${r.declaration.consentRef ? ` · ${r.declaration.consentRef}` : ''}`),
    h('td', {}, badge(r.state, 'state')),
    h('td', {}, `${r.votes.filter((v) => v.decision === 'approve').length} / ${r.approvalsRequired}`),
    h('td', {}, profileCell(r)),
    h('td', {}, r.filedBy),
    h('td', {}, buttons.length ? [decide ? comment : null, ' ', buttons] : ''),
  );
}

function declareForm(act, status) {
  const spec = h(
    'textarea',
    { id: 'own-declaration', rows: 12, class: 'code', 'aria-label': t('declaration'), spellcheck: 'false' },
    JSON.stringify(EXAMPLE, null, 2),
  );
  const why = h('input', { id: 'own-justification', type: 'text', 'aria-label': t('justification'), placeholder: t('justification') });
  const file = h('input', { id: 'own-file', type: 'file', accept: '.csv,.parquet', 'aria-label': t('dataFile') });
  return h(
    'section',
    { 'aria-labelledby': 'h-declare' },
    h('h3', { id: 'h-declare' }, t('declareOwn')),
    h(
      'form',
      {
        onsubmit: (e) => {
          e.preventDefault();
          act(async () => {
            let declaration;
            try {
              declaration = JSON.parse(spec.value);
            } catch {
              throw new Error(`BAD_REQUEST: ${t('notJson')}`);
            }
            const req = await api('POST', '/api/imports', { declaration, justification: why.value });
            if (file.files[0]) await upload(`/api/imports/${enc(req.id)}/file`, file.files[0]);
            mount(status, badge(t('done'), 'pass'), ' ', req.dataset);
          });
        },
      },
      spec,
      h('p', {}, why),
      h('p', {}, h('label', {}, t('dataFile'), ' ', file)),
      h('p', { class: 'actions' }, h('button', { type: 'submit', id: 'declare', class: 'primary' }, t('submitImport'))),
    ),
  );
}

function budgetForm(act) {
  const f = (id, label, attrs = {}) => h('input', { id, type: 'text', class: 'small', 'aria-label': label, placeholder: label, ...attrs });
  const [tenant, dataset, eps, per, reason] = [
    f('budget-tenant', t('tenant')),
    f('budget-dataset', t('dataset')),
    f('budget-epsilon', 'ε', { type: 'number', step: '0.1' }),
    f('budget-per-query', t('perQuery'), { type: 'number', step: '0.1' }),
    f('budget-reason', t('reason')),
  ];
  return h(
    'form',
    {
      onsubmit: (e) => {
        e.preventDefault();
        act(() =>
          api('POST', '/api/dp/budgets', {
            tenant: tenant.value.trim(),
            dataset: dataset.value.trim(),
            epsilon: Number(eps.value),
            ...(per.value ? { perQuery: Number(per.value) } : {}),
            reason: reason.value,
          }),
        );
      },
    },
    tenant,
    ' ',
    dataset,
    ' ',
    eps,
    ' ',
    per,
    ' ',
    reason,
    ' ',
    h('button', { type: 'submit', id: 'set-budget', class: 'small primary' }, t('setBudget')),
  );
}

export async function ownDataPage(root) {
  mount(root, h('p', { class: 'muted' }, t('loading')));
  const role = session.me.role;
  const [{ imports }, { sessions }, { budgets }] = await Promise.all([
    api('GET', '/api/imports'),
    api('GET', '/api/psi/sessions'),
    api('GET', '/api/dp/budgets'),
  ]);
  const status = h('p', { id: 'own-status', role: 'status' });
  const act = async (fn) => {
    try {
      await fn();
      await ownDataPage(root);
    } catch (e) {
      mount(status, errorBox(e));
    }
  };
  const heads = [t('dataset'), t('productTitle'), t('lawfulBasis'), t('state'), t('approvals'), t('profile'), t('requester'), t('actions')];
  const waiting = imports.filter((r) => r.actions.some((a) => a === 'approve' || a === 'vote_approve'));
  mount(
    root,
    h('h2', {}, t('navOwn')),
    status,
    role === 'operator' ? declareForm(act, status) : null,
    role === 'reviewer'
      ? h(
          'section',
          { 'aria-labelledby': 'h-own-review' },
          h('h3', { id: 'h-own-review' }, t('ownToReview')),
          table(
            heads,
            waiting.map((r) => requestRow(r, act)),
            { empty: t('none') },
          ),
        )
      : null,
    h(
      'section',
      { 'aria-labelledby': 'h-own' },
      h('h3', { id: 'h-own' }, t('ownRequests')),
      table(
        heads,
        imports.map((r) => requestRow(r, act)),
        { empty: t('none') },
      ),
    ),
    h(
      'section',
      { 'aria-labelledby': 'h-psi' },
      h('h3', { id: 'h-psi' }, t('psiSessions')),
      table(
        [t('id'), t('tenant'), t('state'), t('sizes'), t('matched'), t('dataset'), t('created')],
        sessions.map((s) =>
          h(
            'tr',
            { dataset: { session: s.id } },
            h('td', {}, s.id),
            h('td', {}, s.tenant),
            h('td', {}, badge(s.state, 'state')),
            h('td', {}, `${s.clientSize ?? '—'} × ${s.domainSize ?? '—'}`),
            h('td', {}, s.matched === undefined ? '—' : String(s.matched)),
            h('td', {}, s.dataset),
            h('td', {}, fmtTime(s.createdAt)),
          ),
        ),
        { empty: t('none') },
      ),
    ),
    h(
      'section',
      { 'aria-labelledby': 'h-budgets' },
      h('h3', { id: 'h-budgets' }, t('budgets')),
      role === 'admin' ? budgetForm(act) : null,
      table(
        [t('tenant'), t('dataset'), 'ε', t('epsilonLeft'), t('perQuery'), 'δ', t('created')],
        budgets.map((b) =>
          h(
            'tr',
            { dataset: { budget: `${b.tenant}.${b.dataset}` } },
            h('td', {}, b.tenant),
            h('td', {}, b.dataset),
            h('td', {}, String(b.epsilon)),
            h('td', {}, String(b.epsilonLeft)),
            h('td', {}, String(b.perQueryEpsilon)),
            h('td', {}, String(b.delta)),
            h('td', {}, `${b.setBy} · ${fmtTime(b.setAt)}`),
          ),
        ),
        { empty: t('none') },
      ),
    ),
  );
}
