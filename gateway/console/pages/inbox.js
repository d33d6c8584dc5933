// The inbox, for every role: what waits for me (the server's own answer: objects whose actions
// hold more than withdrawing or revoking) and what changed on what I filed, each a link to where
// it is handled.
import { api } from '../lib/api.js';
import { badge, fmtTime, h, mount, table } from '../lib/dom.js';
import { t } from '../lib/i18n.js';

const row = (n) =>
  h(
    'tr',
    { dataset: { kind: n.kind, id: n.id } },
    h('td', {}, t(`kind_${n.kind}`)),
    h('td', {}, h('a', { href: n.link }, t(`notice_${n.kind}`, n.about))),
    h('td', {}, n.tenant),
    h('td', {}, badge(n.state, 'state')),
    h('td', {}, n.actions.map((a) => t(a)).join(' · ')),
    h('td', {}, fmtTime(n.at)),
  );

export async function inboxPage(root) {
  mount(root, h('p', { class: 'muted' }, t('loading')));
  const feed = await api('GET', '/api/notifications');
  const heads = [t('kind'), t('what'), t('tenant'), t('state'), t('yourActions'), t('when')];
  mount(
    root,
    h('h2', {}, t('navInbox')),
    h(
      'section',
      { 'aria-labelledby': 'h-waiting' },
      h('h3', { id: 'h-waiting' }, t('waitingForMe', { n: feed.waiting.length })),
      table(heads, feed.waiting.map(row), { empty: t('nothingWaits'), id: 'inbox-waiting' }),
    ),
    h(
      'section',
      { 'aria-labelledby': 'h-changed' },
      h('h3', { id: 'h-changed' }, t('changedOnMine', { since: fmtTime(feed.since) })),
      table(heads, feed.changed.map(row), { empty: t('none'), id: 'inbox-changed' }),
    ),
  );
}

/** The count shown in the header: refreshed with every navigation. */
export async function waitingCount() {
  try {
    return (await api('GET', '/api/notifications')).waiting.length;
  } catch {
    return null;
  }
}
