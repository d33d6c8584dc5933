// The console: sign-in, who you are, a navigation by role, and hash routes to the pages.
// Everything goes through the public HTTP API with the user's token (lib/api.js).
import { api, session } from './lib/api.js';
import { errorBox, h, mount } from './lib/dom.js';
import { getLang, setLang, t } from './lib/i18n.js';
import { adminPage } from './pages/admin.js';
import { jobsPage } from './pages/operator.js';
import { queuePage, requestPage } from './pages/reviewer.js';
import { auditPage, tracePage } from './pages/security.js';

const NAV = {
  operator: [['#/jobs', 'navJobs']],
  reviewer: [['#/queue', 'navQueue']],
  security: [['#/audit', 'navAudit'], ['#/trace', 'navTrace'], ['#/queue', 'navQueue']],
  admin: [['#/admin', 'navAdmin'], ['#/queue', 'navQueue'], ['#/audit', 'navAudit'], ['#/trace', 'navTrace']],
};

const main = document.getElementById('main');

function header() {
  const me = session.me;
  mount(document.getElementById('header'),
    h('a', { class: 'skip', href: '#main' }, t('skip')),
    h('h1', {}, t('title'), ' ', h('span', { class: 'tagline' }, t('tagline'))),
    me ? h('nav', { 'aria-label': 'main' }, (NAV[me.role] || []).map(([href, key]) => h('a', { href, 'aria-current': location.hash.startsWith(href) ? 'page' : undefined }, t(key)))) : null,
    h('span', { id: 'who' }, me ? `${me.display} · ${me.role}${me.tenant ? ` · ${me.tenant}` : ''}` : t('notSignedIn')),
    me ? h('button', { type: 'button', id: 'signout', onclick: () => { session.token = ''; session.me = null; location.hash = '#/signin'; route(); } }, t('signout')) : null,
    h('button', { type: 'button', id: 'lang', onclick: () => { setLang(getLang() === 'zh' ? 'en' : 'zh'); route(); } }, t('language')));
}

function signinPage() {
  const input = h('input', { id: 'token', type: 'password', autocomplete: 'off', 'aria-describedby': 'token-help' });
  const out = h('div', { role: 'status' });
  mount(main,
    h('section', { class: 'signin' },
      h('h2', {}, t('signin')),
      h('p', { id: 'token-help', class: 'muted' }, t('tokenHelp')),
      h('form', { onsubmit: async (e) => {
        e.preventDefault();
        session.token = input.value.trim();
        try {
          session.me = await api('GET', '/api/whoami');
          location.hash = (NAV[session.me.role] || [['#/queue']])[0][0];
        } catch (err) { session.token = ''; mount(out, errorBox(err)); }
      } }, h('label', { for: 'token' }, t('token')), input, h('p', {}, h('button', { type: 'submit', id: 'signin', class: 'primary' }, t('signin')))),
      out));
  input.focus();
}

async function route() {
  document.documentElement.lang = getLang() === 'zh' ? 'zh-CN' : 'en';
  document.title = t('title');
  if (session.token && !session.me) {
    try { session.me = await api('GET', '/api/whoami'); } catch { session.token = ''; }
  }
  header();
  const [, page, ...rest] = (location.hash || '#/').split('/');
  const arg = decodeURIComponent(rest.join('/'));
  if (!session.me) return signinPage();
  try {
    if (page === 'request' && arg) await requestPage(main, arg);
    else if (page === 'queue') await queuePage(main);
    else if (page === 'audit') await auditPage(main);
    else if (page === 'trace') await tracePage(main, arg);
    else if (page === 'jobs') await jobsPage(main);
    else if (page === 'admin') await adminPage(main);
    else location.hash = (NAV[session.me.role] || [['#/queue']])[0][0];
  } catch (e) { mount(main, errorBox(e)); }
  main.focus({ preventScroll: true });
}

window.addEventListener('hashchange', route);
route();
