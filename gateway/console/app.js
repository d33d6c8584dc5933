// The console: sign-in, who you are, a navigation by role, and hash routes to the pages.
// Everything goes through the public HTTP API with the user's token (lib/api.js).
import { api, session } from './lib/api.js';
import { errorBox, h, mount } from './lib/dom.js';
import { getLang, setLang, t } from './lib/i18n.js';
import { adminPage } from './pages/admin.js';
import { jobsPage } from './pages/operator.js';
import { queuePage, requestPage } from './pages/reviewer.js';
import { auditPage, tracePage } from './pages/security.js';
import { productsPage } from './pages/products.js';
import { dutiesPage } from './pages/duties.js';
import { ownDataPage } from './pages/ownData.js';
import { inboxPage, waitingCount } from './pages/inbox.js';

const NAV = {
  operator: [
    ['#/jobs', 'navJobs'],
    ['#/products', 'navProducts'],
    ['#/own', 'navOwn'],
    ['#/duties', 'navDuties'],
  ],
  reviewer: [
    ['#/queue', 'navQueue'],
    ['#/own', 'navOwn'],
    ['#/products', 'navProducts'],
    ['#/duties', 'navDuties'],
  ],
  security: [
    ['#/audit', 'navAudit'],
    ['#/trace', 'navTrace'],
    ['#/queue', 'navQueue'],
    ['#/products', 'navProducts'],
    ['#/own', 'navOwn'],
    ['#/duties', 'navDuties'],
  ],
  admin: [
    ['#/admin', 'navAdmin'],
    ['#/queue', 'navQueue'],
    ['#/audit', 'navAudit'],
    ['#/trace', 'navTrace'],
    ['#/products', 'navProducts'],
    ['#/own', 'navOwn'],
    ['#/duties', 'navDuties'],
  ],
};

const main = document.getElementById('main');

function header() {
  const me = session.me;
  mount(
    document.getElementById('header'),
    h('a', { class: 'skip', href: '#main' }, t('skip')),
    h('h1', {}, t('title'), ' ', h('span', { class: 'tagline' }, t('tagline'))),
    me
      ? h(
          'nav',
          { 'aria-label': 'main' },
          (NAV[me.role] || []).map(([href, key]) => h('a', { href, 'aria-current': location.hash.startsWith(href) ? 'page' : undefined }, t(key))),
          h('a', { href: '#/inbox', id: 'inbox-link', 'aria-current': location.hash.startsWith('#/inbox') ? 'page' : undefined }, t('navInbox')),
        )
      : null,
    h('span', { id: 'who' }, me ? `${me.display} · ${me.role}${me.tenant ? ` · ${me.tenant}` : ''}` : t('notSignedIn')),
    me
      ? h(
          'button',
          {
            type: 'button',
            id: 'signout',
            onclick: () => {
              session.token = '';
              session.me = null;
              location.hash = '#/signin';
              route();
            },
          },
          t('signout'),
        )
      : null,
    h(
      'button',
      {
        type: 'button',
        id: 'lang',
        onclick: () => {
          setLang(getLang() === 'zh' ? 'en' : 'zh');
          route();
        },
      },
      t('language'),
    ),
  );
}

// The provider's login: OAuth 2.0 authorization code with PKCE; the gateway exchanges the code.
const b64url = (bytes) =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
const redirectUri = () => `${location.origin}/`;

async function startProviderLogin(login) {
  const verifier = b64url(crypto.getRandomValues(new Uint8Array(32)));
  const state = b64url(crypto.getRandomValues(new Uint8Array(16)));
  const challenge = b64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
  sessionStorage.setItem('opdomain-pkce', JSON.stringify({ verifier, state }));
  const q = new URLSearchParams({
    response_type: 'code',
    client_id: login.clientId,
    redirect_uri: redirectUri(),
    scope: login.scope,
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  location.assign(`${login.authorizeUrl}?${q}`);
}

/** Back from the provider with ?code=…&state=…: exchange it, then drop it from the address bar. */
async function finishProviderLogin() {
  const q = new URLSearchParams(location.search);
  if (!q.has('code') && !q.has('error')) return null;
  const saved = JSON.parse(sessionStorage.getItem('opdomain-pkce') || 'null');
  sessionStorage.removeItem('opdomain-pkce');
  history.replaceState(null, '', `${location.pathname}${location.hash}`);
  if (q.has('error') || !saved || saved.state !== q.get('state'))
    return new Error(`AUTH_LOGIN_FAILED: ${q.get('error') || 'the sign-in did not come from this page'}`);
  try {
    const r = await api('POST', '/auth/callback', { code: q.get('code'), codeVerifier: saved.verifier, redirectUri: redirectUri() });
    session.token = r.token;
    return null;
  } catch (e) {
    return e;
  }
}

let loginError = null;

async function signinPage() {
  const input = h('input', { id: 'token', type: 'password', autocomplete: 'off', 'aria-describedby': 'token-help' });
  const out = h('div', { role: 'status' }, loginError ? errorBox(loginError) : null);
  loginError = null;
  const options = await api('GET', '/auth/config').catch(() => ({ login: null }));
  mount(
    main,
    h(
      'section',
      { class: 'signin' },
      h('h2', {}, t('signin')),
      options.login
        ? h('p', {}, h('button', { type: 'button', id: 'idp-signin', class: 'primary', onclick: () => startProviderLogin(options.login) }, t('signinProvider')))
        : null,
      h('p', { id: 'token-help', class: 'muted' }, t('tokenHelp')),
      h(
        'form',
        {
          onsubmit: async (e) => {
            e.preventDefault();
            session.token = input.value.trim();
            try {
              session.me = await api('GET', '/api/whoami');
              location.hash = (NAV[session.me.role] || [['#/queue']])[0][0];
            } catch (err) {
              session.token = '';
              mount(out, errorBox(err));
            }
          },
        },
        h('label', { for: 'token' }, t('token')),
        input,
        h('p', {}, h('button', { type: 'submit', id: 'signin', class: 'primary' }, t('signin'))),
      ),
      out,
    ),
  );
  input.focus();
}

// Each navigation renders into its own slot. A slower page still loading when the user moves on
// keeps writing into its detached slot instead of painting over the page that replaced it.
let navigation = 0;

const PAGES = {
  request: (slot, arg) => (arg ? requestPage(slot, arg) : null),
  queue: (slot) => queuePage(slot),
  audit: (slot) => auditPage(slot),
  trace: (slot, arg) => tracePage(slot, arg),
  jobs: (slot) => jobsPage(slot),
  admin: (slot) => adminPage(slot),
  products: (slot) => productsPage(slot),
  duties: (slot) => dutiesPage(slot),
  own: (slot) => ownDataPage(slot),
  inbox: (slot) => inboxPage(slot),
};

async function route() {
  const current = ++navigation;
  loginError = (await finishProviderLogin()) || loginError;
  document.documentElement.lang = getLang() === 'zh' ? 'zh-CN' : 'en';
  document.title = t('title');
  if (session.token && !session.me) {
    try {
      session.me = await api('GET', '/api/whoami');
    } catch {
      session.token = '';
    }
  }
  if (current !== navigation) return;
  header();
  // The inbox link carries how many things wait for this person (asked anew on every navigation).
  if (session.me)
    waitingCount().then((n) => {
      const link = document.getElementById('inbox-link');
      if (link && n !== null && current === navigation) link.textContent = n > 0 ? t('inboxCount', { n }) : t('navInbox');
    });
  const [, page, ...rest] = (location.hash || '#/').split('/');
  const arg = decodeURIComponent(rest.join('/'));
  if (!session.me) return signinPage();
  const render = Object.hasOwn(PAGES, page) ? PAGES[page] : null;
  if (!render) {
    location.hash = (NAV[session.me.role] || [['#/queue']])[0][0];
    return;
  }
  const slot = h('div', { class: 'view' });
  mount(main, slot);
  try {
    if ((await render(slot, arg)) === null) location.hash = (NAV[session.me.role] || [['#/queue']])[0][0];
  } catch (e) {
    mount(slot, errorBox(e));
  }
  if (current === navigation) main.focus({ preventScroll: true });
}

window.addEventListener('hashchange', route);
route();
