// Administrator pages: the authorities' supervision view; authorizations — created here with
// their grants, scenarios and emergency plan, their thresholds set, and the lifecycle steps the
// server says the caller may take (each confirmed, with a reason; destruction needs the id
// typed); people — registered, verified, agreements extended, disabled and enabled (R22).
import { api, enc } from '../lib/api.js';
import { badge, confirmDialog, errorBox, fmtTime, h, mount, table } from '../lib/dom.js';
import { getLang, t } from '../lib/i18n.js';

const THRESHOLDS = ['minCellCount', 'kBlock', 'kReview', 'dominanceN', 'dominanceK', 'pRatio', 'maxRowsWithoutReview', 'minResidualDf'];
const ROLES = ['operator', 'reviewer', 'security', 'admin'];
const YEAR_MS = 365 * 86400e3;

export async function adminPage(root) {
  mount(root, h('p', { class: 'muted' }, t('loading')));
  const [{ tenants }, { people }, sup, floor, { datasets }] = await Promise.all([
    api('GET', '/api/tenants'),
    api('GET', '/api/people'),
    api('GET', '/api/supervision'),
    api('GET', '/api/thresholds/floor'),
    api('GET', '/api/datasets'),
  ]);
  const status = h('p', { id: 'admin-status', role: 'status' });
  const act = async (fn, done) => {
    try {
      await fn();
      await adminPage(root);
      if (done) mount(document.getElementById('admin-status'), h('span', { class: 'ok' }, done));
    } catch (e) {
      mount(status, errorBox(e));
    }
  };
  mount(
    root,
    h('h2', {}, t('navAdmin')),
    status,
    authorizationsSection(tenants, sup, floor, act),
    newAuthorizationForm(datasets, act),
    peopleSection(people, act),
    registerPersonForm(tenants, act),
  );
}

/** A lifecycle step as a button: confirmed in a dialog, with the reason the server requires. */
function lifecycleButton(a, action, act) {
  return h(
    'button',
    {
      type: 'button',
      class: `small ${action === 'destroy' ? 'danger' : ''}`,
      dataset: { action, tenant: a.id },
      onclick: async () => {
        const reason = await confirmDialog({
          title: `${t(action)} · ${a.id}`,
          message: action === 'destroy' ? t('confirmDestroy', { id: a.id }) : t('confirmAction', { a: t(action), id: a.id }),
          confirmLabel: t(action),
          cancelLabel: t('cancel'),
          reasonLabel: t('reasonLabel'),
          reasonRequired: action !== 'resume',
          ...(action === 'destroy' ? { mustType: a.id, mustTypeLabel: t('id') } : {}),
        });
        if (reason === null) return;
        act(() => api('POST', `/api/tenants/${enc(a.id)}/${action}`, { reason: reason || undefined }));
      },
    },
    t(action),
  );
}

/** The supervision figures of one domain, in the reader's language. */
function supervisionCell(s) {
  if (!s) return '';
  const counts = (o) =>
    Object.entries(o)
      .map(([k, v]) => `${t(`v_${k}`)} ${v}`)
      .join(' · ') || '0';
  return h(
    'div',
    { class: 'muted small' },
    h('div', {}, `${t('jobs')}: ${counts(s.jobs)}`),
    h('div', {}, `${t('exportsWord')}: ${counts(s.exports)}`),
    h('div', {}, t('auditEntries', { n: s.audit.entries })),
  );
}

function authorizationsSection(tenants, sup, floor, act) {
  const supById = new Map(sup.domains.map((d) => [d.id, d]));
  return h(
    'section',
    { 'aria-labelledby': 'h-auth' },
    h('h3', { id: 'h-auth' }, t('authorizations')),
    table(
      [t('id'), t('org'), t('state'), t('termEnd'), t('grantsWord'), t('plan'), t('supervision'), t('actions')],
      tenants.map((a) =>
        h(
          'tr',
          { dataset: { id: a.id } },
          h('td', {}, a.id),
          h('td', {}, a.org),
          h('td', {}, badge(a.state, 'state')),
          h('td', {}, fmtTime(a.termEnd)),
          h(
            'td',
            { class: 'small' },
            h(
              'details',
              {},
              h('summary', {}, `${a.grants.length} · ${a.scenarios.join(', ')}`),
              h(
                'ul',
                {},
                a.grants.map((g) => h('li', {}, h('code', {}, g.dataset), g.fields ? `: ${g.fields.join(', ')}` : ` (${t('allFields')})`)),
              ),
            ),
          ),
          h('td', {}, planEditor(a, act)),
          h('td', {}, supervisionCell(supById.get(a.id))),
          h(
            'td',
            {},
            a.actions.map((x) => lifecycleButton(a, x, act)),
            thresholdsEditor(a, floor, act),
          ),
        ),
      ),
    ),
  );
}

/** 一授权一预案: the plan shown and set (an authorization without one cannot be activated). */
function planEditor(a, act) {
  const plan = a.emergencyPlan;
  const summary = h('textarea', { name: 'summary', rows: 3, 'aria-label': t('planSummary') }, plan ? plan.summary : '');
  const contact = h('input', { name: 'contact', 'aria-label': t('planContact'), value: plan ? plan.contact : '' });
  return h(
    'details',
    { class: 'plan', dataset: { tenant: a.id } },
    h('summary', {}, plan ? t('yes') : badge(t('no'), 'block')),
    h(
      'form',
      {
        class: 'stack',
        onsubmit: (e) => {
          e.preventDefault();
          act(
            () =>
              api('PUT', `/api/tenants/${enc(a.id)}/emergency-plan`, {
                summary: summary.value,
                contact: contact.value,
                approvedAt: new Date().toISOString().slice(0, 10),
              }),
            t('saved'),
          );
        },
      },
      plan ? h('p', { class: 'muted small' }, t('planApproved', { d: plan.approvedAt })) : null,
      h('label', {}, t('planSummary'), summary),
      h('label', {}, t('planContact'), contact),
      h('button', { type: 'submit', class: 'small primary', dataset: { action: 'save-plan' } }, t('save')),
    ),
  );
}

/** The authorization's export thresholds beside the domain's floor; the server refuses weaker ones. */
function thresholdsEditor(a, floor, act) {
  const inputs = THRESHOLDS.map((k) =>
    h('input', { type: 'number', step: 'any', name: k, class: 'small', value: a.thresholds[k] ?? '', placeholder: String(floor[k]), 'aria-label': k }),
  );
  return h(
    'details',
    { class: 'thresholds', dataset: { tenant: a.id } },
    h('summary', {}, t('thresholdsWord')),
    h(
      'form',
      {
        onsubmit: (e) => {
          e.preventDefault();
          const set = Object.fromEntries(inputs.filter((i) => i.value !== '').map((i) => [i.name, Number(i.value)]));
          act(() => api('PUT', `/api/tenants/${enc(a.id)}/thresholds`, set), t('saved'));
        },
      },
      h('p', { class: 'muted small' }, t('thresholdsHint')),
      table(
        [t('thresholdName'), t('thresholdFloor'), t('thresholdValue')],
        THRESHOLDS.map((k, i) => h('tr', {}, h('td', {}, h('code', {}, k)), h('td', {}, String(floor[k])), h('td', {}, inputs[i]))),
      ),
      h('button', { type: 'submit', class: 'small primary', dataset: { action: 'save-thresholds' } }, t('save')),
    ),
  );
}

/**
 * A new authorization: organisation, term, scenarios and the granted fields, each justified by
 * the scenarios (minimum necessary); the emergency plan, without which it cannot be activated.
 */
function newAuthorizationForm(datasets, act) {
  const field = (name, attrs = {}) => h('input', { name, id: `new-${name}`, ...attrs });
  const id = field('id', { pattern: '[a-z][a-z0-9-]{1,39}', required: true, placeholder: 'county-health' });
  const org = field('org', { required: true });
  const term = field('termEnd', { type: 'date', required: true, value: new Date(Date.now() + YEAR_MS).toISOString().slice(0, 10) });
  const scenarios = field('scenarios', { required: true, placeholder: 'public-statistics, policy-research' });
  const planSummary = h('textarea', { id: 'new-plan-summary', rows: 2 });
  const planContact = field('planContact');
  const picks = datasets
    .filter((d) => !d.owner)
    .map((d) => {
      const all = h('input', { type: 'checkbox', name: `ds-${d.id}`, dataset: { dataset: d.id } });
      // Core-grade fields start unticked: minimum necessary means asking for them on purpose.
      const boxes = d.fields.map((f) => h('input', { type: 'checkbox', checked: f.grade !== 'core', dataset: { field: f.name } }));
      return {
        d,
        all,
        boxes,
        el: h(
          'details',
          { class: 'grant-pick', dataset: { dataset: d.id } },
          h('summary', {}, h('label', {}, all, ' ', h('code', {}, d.id), d.title ? ` · ${d.title[getLang()] ?? d.title.en}` : '')),
          h(
            'div',
            { class: 'fields' },
            d.fields.map((f, i) => h('label', { class: 'small' }, boxes[i], ` ${f.name}`, h('span', { class: 'muted' }, ` ${t(`grade_${f.grade}`)}`))),
          ),
        ),
      };
    });
  const submit = (e) => {
    e.preventDefault();
    const sc = scenarios.value.split(/[,\s]+/).filter(Boolean);
    const grants = picks
      .filter((p) => p.all.checked)
      .map((p) => ({ dataset: p.d.id, fields: p.d.fields.filter((_, i) => p.boxes[i].checked).map((f) => f.name) }));
    const justification = Object.fromEntries(grants.flatMap((g) => g.fields.map((f) => [`${g.dataset}.${f}`, sc])));
    const plan = planSummary.value.trim()
      ? { summary: planSummary.value.trim(), contact: planContact.value.trim(), approvedAt: new Date().toISOString().slice(0, 10) }
      : undefined;
    act(
      () =>
        api('POST', '/api/tenants', {
          id: id.value,
          org: org.value,
          termEnd: term.value,
          scenarios: sc,
          grants,
          justification,
          ...(plan ? { emergencyPlan: plan } : {}),
        }),
      t('createdAuthorization', { id: id.value }),
    );
  };
  return h(
    'section',
    { 'aria-labelledby': 'h-new-auth' },
    h(
      'details',
      { id: 'new-authorization' },
      h('summary', { id: 'h-new-auth' }, t('newAuthorization')),
      h(
        'form',
        { class: 'stack', onsubmit: submit },
        h('label', {}, t('id'), id),
        h('label', {}, t('org'), org),
        h('label', {}, t('termEnd'), term),
        h('label', {}, t('scenariosWord'), scenarios),
        h(
          'fieldset',
          {},
          h('legend', {}, t('grantsWord')),
          h('p', { class: 'muted small' }, t('grantsHint')),
          picks.map((p) => p.el),
        ),
        h('fieldset', {}, h('legend', {}, t('plan')), h('label', {}, t('planSummary'), planSummary), h('label', {}, t('planContact'), planContact)),
        h('p', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', id: 'create-authorization' }, t('createAuthorization'))),
      ),
    ),
  );
}

function personActions(p, act) {
  const disable = h(
    'button',
    {
      type: 'button',
      class: 'small danger',
      dataset: { action: 'disable' },
      onclick: async () => {
        const reason = await confirmDialog({
          title: `${t('disable')} · ${p.name}`,
          message: t('confirmDisable', { n: p.name }),
          confirmLabel: t('disable'),
          cancelLabel: t('cancel'),
          reasonLabel: t('reasonLabel'),
          reasonRequired: true,
        });
        if (reason !== null) act(() => api('POST', `/api/people/${enc(p.name)}/disable`, { reason }));
      },
    },
    t('disable'),
  );
  const enable = h(
    'button',
    { type: 'button', class: 'small', dataset: { action: 'enable' }, onclick: () => act(() => api('POST', `/api/people/${enc(p.name)}/enable`, {})) },
    t('enable'),
  );
  return [
    p.verified
      ? null
      : h(
          'button',
          {
            type: 'button',
            class: 'small',
            dataset: { action: 'verify' },
            onclick: () => act(() => api('PATCH', `/api/people/${enc(p.name)}`, { verified: true })),
          },
          t('markVerified'),
        ),
    h(
      'button',
      {
        type: 'button',
        class: 'small',
        dataset: { action: 'extend' },
        onclick: () => act(() => api('PATCH', `/api/people/${enc(p.name)}`, { agreementUntil: new Date(Date.now() + YEAR_MS).toISOString() })),
      },
      t('extendAgreement'),
    ),
    p.disabled ? enable : disable,
  ];
}

function peopleSection(people, act) {
  return h(
    'section',
    { 'aria-labelledby': 'h-people' },
    h('h3', { id: 'h-people' }, t('people')),
    table(
      [t('name'), t('role'), t('tenant'), t('verified'), t('agreementUntil'), t('mayAct'), t('actions')],
      people.map((p) =>
        h(
          'tr',
          { dataset: { name: p.name } },
          h('td', {}, `${p.name} · ${p.display}`),
          h('td', {}, t(`role_${p.role}`)),
          h('td', {}, p.tenant ?? ''),
          h('td', {}, p.verified ? t('yes') : badge(t('no'), 'block')),
          h('td', {}, fmtTime(p.agreementUntil)),
          h(
            'td',
            {},
            p.disabled ? h('span', { title: p.disabled.reason }, badge('disabled', 'block')) : p.mayAct ? badge(t('yes'), 'pass') : badge(t('no'), 'block'),
          ),
          h('td', {}, personActions(p, act)),
        ),
      ),
    ),
  );
}

/** Registers a person: an operator belongs to one authorization; the others to the domain. */
function registerPersonForm(tenants, act) {
  const name = h('input', { id: 'person-name', required: true, pattern: '[a-z][a-z0-9_.\\-]{0,63}', placeholder: 'dora' });
  const display = h('input', { id: 'person-display', required: true });
  const role = h(
    'select',
    { id: 'person-role' },
    ROLES.map((r) => h('option', { value: r }, t(`role_${r}`))),
  );
  const tenant = h(
    'select',
    { id: 'person-tenant' },
    h('option', { value: '' }, '—'),
    tenants.map((a) => h('option', { value: a.id }, a.id)),
  );
  const verified = h('input', { type: 'checkbox', id: 'person-verified' });
  const until = h('input', { type: 'date', id: 'person-agreement', value: new Date(Date.now() + YEAR_MS).toISOString().slice(0, 10) });
  const submit = (e) => {
    e.preventDefault();
    const body = {
      name: name.value,
      display: display.value,
      role: role.value,
      tenant: role.value === 'operator' ? tenant.value || null : null,
      verified: verified.checked,
      agreementUntil: until.value || null,
    };
    act(() => api('POST', '/api/people', body), t('registered', { n: name.value }));
  };
  return h(
    'section',
    { 'aria-labelledby': 'h-register' },
    h(
      'details',
      { id: 'register-person' },
      h('summary', { id: 'h-register' }, t('registerPerson')),
      h(
        'form',
        { class: 'stack', onsubmit: submit },
        h('label', {}, t('name'), name),
        h('label', {}, t('displayName'), display),
        h('label', {}, t('role'), role),
        h('label', {}, t('tenant'), tenant),
        h('label', {}, verified, ' ', t('verified')),
        h('label', {}, t('agreementUntil'), until),
        h('p', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', id: 'register' }, t('register'))),
      ),
    ),
  );
}
