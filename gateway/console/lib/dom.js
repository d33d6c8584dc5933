// A few DOM helpers: h() builds elements (text is always set as text, never as HTML).
import { ERROR_ZH } from './errorText.js';
import { getLang, t, tValue } from './i18n.js';
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function mount(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A verdict or state badge. */
/** A state, verdict or code as a badge: shown in the reader's language, the raw value kept in data-value. */
export function badge(value, kind = value) {
  return h('span', { class: `badge badge-${kind}`, dataset: { value: String(value) } }, tValue(value));
}

export function table(columns, rows, opts = {}) {
  return h(
    'table',
    { class: opts.class || '', ...(opts.id ? { id: opts.id } : {}) },
    opts.caption ? h('caption', {}, opts.caption) : null,
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        columns.map((c) => h('th', { scope: 'col' }, c)),
      ),
    ),
    h('tbody', {}, rows.length === 0 ? h('tr', {}, h('td', { colspan: columns.length, class: 'muted' }, opts.empty || '—')) : rows),
  );
}

export function fmtTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return `${d.toLocaleDateString('sv-SE')} ${d.toLocaleTimeString('sv-SE')}`;
}

/**
 * A refusal: in English the server's sentence; in Chinese the registry code's Chinese title, with
 * the server's sentence (its figures and names) beneath. The code stays visible in both.
 */
export function errorBox(e) {
  const message = e?.message ? e.message : String(e);
  const zh = getLang() === 'zh' && e && e.code ? ERROR_ZH[e.code] : null;
  if (!zh) return h('p', { class: 'error', role: 'alert', dataset: e?.code ? { code: e.code } : {} }, message);
  return h(
    'div',
    { class: 'error', role: 'alert', dataset: { code: e.code } },
    h('p', {}, `${zh}（${e.code}）`),
    h('details', { class: 'small' }, h('summary', {}, t('serverWords')), h('span', { lang: 'en' }, message)),
  );
}

/**
 * A modal confirmation (native <dialog>: focus-trapped, Escape cancels). With `mustType`, the
 * user must type that text (e.g. the id of what is destroyed). Resolves to the reason or null.
 */
export function confirmDialog({ title, message, confirmLabel, cancelLabel, mustType, mustTypeLabel, reasonLabel, reasonRequired, tone = 'danger' }) {
  return new Promise((resolve) => {
    const reason = reasonLabel
      ? h('textarea', { id: 'confirm-reason', rows: 2, 'aria-label': reasonLabel, placeholder: reasonLabel, ...(reasonRequired ? { required: true } : {}) })
      : null;
    const typed = mustType ? h('input', { id: 'confirm-typed', 'aria-label': mustTypeLabel, placeholder: mustType, autocomplete: 'off' }) : null;
    const ok = h('button', { type: 'submit', class: tone, id: 'confirm-ok' }, confirmLabel);
    // A regulated act is explained: the button waits for a reason that is more than spaces.
    const ready = () => {
      ok.disabled = !!(reasonRequired && reason && reason.value.trim() === '');
    };
    if (reason) reason.addEventListener('input', ready);
    ready();
    const dlg = h(
      'dialog',
      { class: 'confirm', 'aria-labelledby': 'confirm-title' },
      h(
        'form',
        { method: 'dialog' },
        h('h2', { id: 'confirm-title' }, title),
        h('p', {}, message),
        typed ? h('label', {}, mustTypeLabel, typed) : null,
        reason ? h('label', {}, reasonLabel, reason) : null,
        h('p', { class: 'actions' }, ok, h('button', { type: 'button', id: 'confirm-cancel', onclick: () => dlg.close('cancel') }, cancelLabel)),
      ),
    );
    document.body.appendChild(dlg);
    dlg.addEventListener('close', () => {
      const accepted = dlg.returnValue !== 'cancel' && dlg.returnValue !== '' && (!typed || typed.value === mustType);
      dlg.remove();
      resolve(accepted ? (reason ? reason.value : '') : null);
    });
    ok.addEventListener('click', () => {
      dlg.returnValue = 'ok';
    });
    dlg.showModal();
    (typed || reason || ok).focus();
  });
}
