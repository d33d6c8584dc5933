// Administrator pages: the authorities' supervision view, authorizations with their states and
// the lifecycle actions (each confirmed; destruction needs the id typed), and people (R22).
import { api, enc } from '../lib/api.js';
import { badge, confirmDialog, errorBox, fmtTime, h, mount, table } from '../lib/dom.js';
import { t } from '../lib/i18n.js';

const ACTIONS = { active: ['suspend', 'terminate', 'seal'], suspended: ['resume', 'terminate', 'seal'], pending: ['seal'], terminated: ['seal', 'destroy'], expired: ['seal', 'destroy'], sealed: ['destroy'] };

export async function adminPage(root) {
  mount(root, h('p', { class: 'muted' }, t('loading')));
  const [{ tenants }, { people }, sup] = await Promise.all([api('GET', '/api/tenants'), api('GET', '/api/people'), api('GET', '/api/supervision')]);
  const status = h('p', { id: 'admin-status', role: 'status' });
  const act = async (fn) => {
    try { await fn(); await adminPage(root); } catch (e) { mount(status, errorBox(e)); }
  };
  const lifecycle = (a, action) => h('button', { type: 'button', class: `small ${action === 'destroy' ? 'danger' : ''}`, dataset: { action, tenant: a.id }, onclick: async () => {
    const reason = await confirmDialog({
      title: `${t(action)} · ${a.id}`,
      message: action === 'destroy' ? t('confirmDestroy', { id: a.id }) : t('confirmAction', { a: t(action), id: a.id }),
      confirmLabel: t(action), cancelLabel: t('cancel'), reasonLabel: t('reasonLabel'), reasonRequired: action !== 'resume',
      ...(action === 'destroy' ? { mustType: a.id, mustTypeLabel: t('id') } : {}),
    });
    if (reason === null) return;
    act(() => api('POST', `/api/tenants/${enc(a.id)}/${action}`, { reason: reason || undefined }));
  } }, t(action));
  const supById = new Map(sup.domains.map((d) => [d.id, d]));
  mount(root,
    h('h2', {}, t('navAdmin')),
    status,
    h('section', { 'aria-labelledby': 'h-auth' }, h('h3', { id: 'h-auth' }, t('authorizations')),
      table([t('id'), t('org'), t('state'), t('termEnd'), t('plan'), t('supervision'), t('actions')], tenants.map((a) => {
        const s = supById.get(a.id);
        return h('tr', { dataset: { id: a.id } }, h('td', {}, a.id), h('td', {}, a.org), h('td', {}, badge(a.state, 'state')), h('td', {}, fmtTime(a.termEnd)),
          h('td', {}, a.emergencyPlan ? t('yes') : badge(t('no'), 'block')),
          h('td', { class: 'muted' }, s ? `jobs ${Object.entries(s.jobs).map(([k, v]) => `${k}:${v}`).join(' ') || 0} · exports ${Object.entries(s.exports).map(([k, v]) => `${k}:${v}`).join(' ') || 0} · audit ${s.audit.entries}` : ''),
          h('td', {}, (ACTIONS[a.state] || []).map((x) => lifecycle(a, x))));
      }))),
    h('section', { 'aria-labelledby': 'h-people' }, h('h3', { id: 'h-people' }, t('people')),
      table([t('name'), t('role'), t('tenant'), t('verified'), t('agreementUntil'), t('mayAct'), t('actions')], people.map((p) => h('tr', { dataset: { name: p.name } },
        h('td', {}, `${p.name} · ${p.display}`), h('td', {}, p.role), h('td', {}, p.tenant ?? ''), h('td', {}, p.verified ? t('yes') : badge(t('no'), 'block')),
        h('td', {}, fmtTime(p.agreementUntil)), h('td', {}, p.mayAct ? badge(t('yes'), 'pass') : badge(t('no'), 'block')),
        h('td', {},
          p.verified ? null : h('button', { type: 'button', class: 'small', onclick: () => act(() => api('PATCH', `/api/people/${enc(p.name)}`, { verified: true })) }, t('markVerified')),
          h('button', { type: 'button', class: 'small', onclick: () => act(() => api('PATCH', `/api/people/${enc(p.name)}`, { agreementUntil: new Date(Date.now() + 365 * 86400e3).toISOString() })) }, t('extendAgreement'))))))));
}
