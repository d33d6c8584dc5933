// Data products, one page for every role: operators propose a version and see its report and its
// calls; reviewers decide on versions in review; administrators register consumers, issue keys
// (shown once) and grant versions; security staff see calls and who walks the parameter space,
// and revoke. Buttons come from each version's `actions`, which the server computes.
import { api, enc, session } from '../lib/api.js';
import { badge, confirmDialog, errorBox, fmtTime, h, mount, table } from '../lib/dom.js';
import { t } from '../lib/i18n.js';

const EXAMPLE = {
  product: 'people-by-county',
  title: 'Residents by county and gender',
  scenario: 'public-statistics',
  sql: 'SELECT county_code, count(*) AS people FROM population WHERE gender = $gender GROUP BY county_code ORDER BY county_code',
  parameters: {
    type: 'object',
    properties: { gender: { type: 'string', enum: ['男', '女'], example: '女' } },
    required: ['gender'],
    additionalProperties: false,
  },
  columns: ['county_code', 'people'],
  unit: 'person',
  controls: { minUnits: 10, roundTo: 5, rowCap: 200 },
  price: '',
};

const ref = (v) => `${v.product}/v${v.version}`;

/** Revoking is regulated: asked for with its reason in a dialog; null when the person cancels. */
const revokeReason = (what) =>
  confirmDialog({
    title: `${t('revoke')} · ${what}`,
    message: t('confirmAction', { a: t('revoke'), id: what }),
    confirmLabel: t('revoke'),
    cancelLabel: t('cancel'),
    reasonLabel: t('reasonLabel'),
    reasonRequired: true,
  });
const revoke = (what, url, act) => async () => {
  const reason = await revokeReason(what);
  if (reason !== null) act(() => api('POST', url, { reason }));
};
const path = (v) => `/api/products/${enc(v.product)}/versions/${v.version}`;

function reportCell(v) {
  return h(
    'details',
    {},
    h('summary', {}, badge(v.report.verdict), ' ', t('samples', { n: v.report.samples.length })),
    h(
      'ul',
      {},
      v.report.samples.map((s) =>
        h(
          'li',
          {},
          h('code', {}, JSON.stringify(s.params)),
          ' ',
          s.error ? badge(s.error.code, 'block') : t('sampleRows', { r: s.rows, k: s.returned, s: s.suppressed }),
          ' ',
          s.rules.filter((x) => x.verdict !== 'pass').map((x) => h('span', {}, badge(x.verdict), ` ${x.rule} `)),
        ),
      ),
    ),
  );
}

function versionRow(v, act) {
  const comment = h('input', { type: 'text', class: 'small', 'aria-label': t('comment'), placeholder: t('comment') });
  const needsText = v.actions.some((a) => a === 'return' || a === 'reject');
  const buttons = v.actions.map((a) =>
    h(
      'button',
      {
        type: 'button',
        class: `small${a === 'approve' ? ' primary' : ''}`,
        dataset: { action: a, version: ref(v) },
        onclick:
          a === 'revoke'
            ? revoke(ref(v), `${path(v)}/revoke`, act)
            : () =>
                act(() =>
                  a === 'withdraw' ? api('POST', `${path(v)}/withdraw`) : api('POST', `${path(v)}/${a}`, comment.value ? { comment: comment.value } : {}),
                ),
      },
      t(a),
    ),
  );
  return h(
    'tr',
    { dataset: { version: ref(v) } },
    h('td', {}, ref(v)),
    h('td', {}, v.spec.title),
    h('td', {}, v.scenario),
    h('td', {}, badge(v.state, 'state')),
    h('td', {}, `${v.votes.filter((x) => x.decision === 'approve').length} / ${v.requiredApprovals}`),
    h('td', {}, reportCell(v)),
    h('td', {}, v.proposer),
    h('td', {}, buttons.length ? [needsText ? comment : null, ' ', buttons] : ''),
  );
}

function proposeForm(act, status) {
  const spec = h(
    'textarea',
    { id: 'product-spec', rows: 10, class: 'code', 'aria-label': t('productSpec'), spellcheck: 'false' },
    JSON.stringify(EXAMPLE, null, 2),
  );
  return h(
    'section',
    { 'aria-labelledby': 'h-propose' },
    h('h3', { id: 'h-propose' }, t('proposeProduct')),
    h(
      'form',
      {
        onsubmit: (e) => {
          e.preventDefault();
          act(async () => {
            let body;
            try {
              body = JSON.parse(spec.value);
            } catch {
              throw new Error(`PRODUCT_INVALID: ${t('notJson')}`);
            }
            const v = await api('POST', '/api/products', body);
            mount(status, badge(v.state, 'state'), ' ', ref(v));
          });
        },
      },
      spec,
      h('p', { class: 'actions' }, h('button', { type: 'submit', id: 'propose', class: 'primary' }, t('propose'))),
    ),
  );
}

function callsTable(calls) {
  return table(
    [t('at'), t('consumer'), t('version'), t('status'), t('rowsReturned'), t('cached')],
    calls
      .slice(0, 100)
      .map((c) =>
        h(
          'tr',
          {},
          h('td', {}, fmtTime(c.at)),
          h('td', {}, c.consumer ?? '—'),
          h('td', {}, c.product ? `${c.product}/v${c.version}` : c.op),
          h('td', {}, badge(c.code ?? String(c.status), c.status === 200 ? 'pass' : c.status === 429 ? 'review' : 'block')),
          h('td', {}, c.rows === undefined ? '' : t('rowsOf', { r: c.rows, s: c.suppressed })),
          h('td', {}, c.cached ? t('yes') : ''),
        ),
      ),
    { empty: t('none') },
  );
}

function grantsTable(grants) {
  return table(
    [t('consumer'), t('version'), t('quotas'), t('usedToday'), t('validUntil')],
    grants.map((g) =>
      h(
        'tr',
        { dataset: { grant: g.id } },
        h('td', {}, g.consumer),
        h('td', {}, `${g.product}/v${g.version}`),
        h('td', {}, t('quotaLine', { m: g.quotas.perMinute, d: g.quotas.perDay })),
        h('td', {}, t('usageLine', { c: g.usage.callsToday, r: g.usage.rowsToday })),
        h('td', {}, g.revokedAt ? badge(t('revoked'), 'block') : fmtTime(g.validUntil)),
      ),
    ),
    { empty: t('none') },
  );
}

function activityTable(consumers) {
  return table(
    [t('consumer'), t('calls'), t('distinctParams'), t('refusals'), t('flag')],
    consumers.map((c) =>
      h(
        'tr',
        { dataset: { consumer: c.consumer ?? '' }, class: c.flagged ? 'flagged' : '' },
        h('td', {}, c.consumer ?? t('noKey')),
        h('td', {}, `${c.served} / ${c.calls}`),
        h('td', {}, String(c.distinctParams)),
        h(
          'td',
          {},
          Object.entries(c.refused).map(([k, n]) => h('div', {}, `${k} × ${n}`)),
        ),
        h('td', {}, c.flagged ? [badge(t('flaggedBadge'), 'block'), ' ', c.reasons.join('; ')] : ''),
      ),
    ),
    { empty: t('none') },
  );
}

function consumersSection(consumers, versions, act, status) {
  const id = h('input', { id: 'consumer-id', type: 'text', class: 'small', 'aria-label': t('consumerId'), placeholder: 'acme' });
  const name = h('input', { id: 'consumer-name', type: 'text', 'aria-label': t('org'), placeholder: t('org') });
  const served = versions.filter((v) => v.state === 'approved');
  const rows = consumers.map((c) => {
    const pick = h(
      'select',
      { 'aria-label': t('version'), dataset: { consumer: c.id } },
      served.map((v) => h('option', { value: ref(v) }, ref(v))),
    );
    const perDay = h('input', { type: 'number', class: 'small', min: 1, value: 1000, 'aria-label': t('perDay') });
    return h(
      'tr',
      { dataset: { consumer: c.id } },
      h('td', {}, c.id),
      h('td', {}, c.name),
      h(
        'td',
        {},
        c.keys.map((k) =>
          h(
            'div',
            {},
            `${k.id} · ${fmtTime(k.expiresAt)} `,
            k.revokedAt
              ? badge(t('revoked'), 'block')
              : h(
                  'button',
                  { type: 'button', class: 'small', dataset: { action: 'revoke-key' }, onclick: revoke(k.id, `/api/keys/${enc(k.id)}/revoke`, act) },
                  t('revoke'),
                ),
          ),
        ),
        h(
          'button',
          {
            type: 'button',
            class: 'small',
            dataset: { action: 'key' },
            onclick: () =>
              act(
                async () => {
                  const k = await api('POST', `/api/consumers/${enc(c.id)}/keys`, {});
                  // The key is shown this once: the domain keeps only its hash.
                  mount(status, t('keyOnce'), ' ', h('code', { id: 'new-key' }, k.key));
                },
                { keep: true },
              ),
          },
          t('issueKey'),
        ),
      ),
      h(
        'td',
        {},
        c.grants.map((g) =>
          h(
            'div',
            {},
            `${g.product}/v${g.version} · ${t('quotaLine', { m: g.quotas.perMinute, d: g.quotas.perDay })} · ${t('usageLine', { c: g.usage.callsToday, r: g.usage.rowsToday })} `,
            g.revokedAt
              ? badge(t('revoked'), 'block')
              : h(
                  'button',
                  {
                    type: 'button',
                    class: 'small',
                    dataset: { action: 'revoke-grant' },
                    onclick: revoke(`${g.product}/v${g.version} → ${c.id}`, `/api/grants/${enc(g.id)}/revoke`, act),
                  },
                  t('revoke'),
                ),
          ),
        ),
        served.length
          ? h(
              'span',
              {},
              pick,
              ' ',
              perDay,
              ' ',
              h(
                'button',
                {
                  type: 'button',
                  class: 'small primary',
                  dataset: { action: 'grant' },
                  onclick: () =>
                    act(() => {
                      const [product, v] = pick.value.split('/v');
                      return api('POST', '/api/grants', { consumer: c.id, product, version: Number(v), perDay: Number(perDay.value) });
                    }),
                },
                t('grant'),
              ),
            )
          : null,
      ),
    );
  });
  return h(
    'section',
    { 'aria-labelledby': 'h-consumers' },
    h('h3', { id: 'h-consumers' }, t('consumers')),
    h(
      'form',
      {
        onsubmit: (e) => {
          e.preventDefault();
          act(() => api('POST', '/api/consumers', { id: id.value.trim(), name: name.value.trim() }));
        },
      },
      id,
      ' ',
      name,
      ' ',
      h('button', { type: 'submit', id: 'add-consumer', class: 'small primary' }, t('addConsumer')),
    ),
    table([t('id'), t('org'), t('keys'), t('grants')], rows, { empty: t('none') }),
  );
}

export async function productsPage(root) {
  mount(root, h('p', { class: 'muted' }, t('loading')));
  const role = session.me.role;
  const authority = role !== 'operator';
  const [{ versions }, { calls }, activity, consumers, { grants }] = await Promise.all([
    api('GET', '/api/products'),
    api('GET', '/api/product-calls?limit=200'),
    authority ? api('GET', '/api/product-calls/activity') : Promise.resolve({ consumers: [] }),
    authority ? api('GET', '/api/consumers') : Promise.resolve({ consumers: [] }),
    api('GET', '/api/grants'),
  ]);
  const status = h('p', { id: 'products-status', role: 'status' });
  const act = async (fn, opts = {}) => {
    try {
      await fn();
      if (!opts.keep) await productsPage(root);
    } catch (e) {
      mount(status, errorBox(e));
    }
  };
  const open = versions.filter((v) => v.state === 'submitted' || v.state === 'in_review');
  const versionTable = (list) =>
    table(
      [t('version'), t('productTitle'), t('scenario'), t('state'), t('approvals'), t('checkReport'), t('proposer'), t('actions')],
      list.map((v) => versionRow(v, act)),
      { empty: t('none') },
    );
  mount(
    root,
    h('h2', {}, t('navProducts')),
    status,
    role === 'operator' ? proposeForm(act, status) : null,
    role === 'reviewer' ? h('section', { 'aria-labelledby': 'h-review' }, h('h3', { id: 'h-review' }, t('versionsToReview')), versionTable(open)) : null,
    h('section', { 'aria-labelledby': 'h-versions' }, h('h3', { id: 'h-versions' }, t('productVersions')), versionTable(versions)),
    role === 'admin' ? consumersSection(consumers.consumers, versions, act, status) : null,
    role === 'operator' ? h('section', { 'aria-labelledby': 'h-grants' }, h('h3', { id: 'h-grants' }, t('grantsOfMine')), grantsTable(grants)) : null,
    authority
      ? h('section', { 'aria-labelledby': 'h-activity' }, h('h3', { id: 'h-activity' }, t('consumerActivity')), activityTable(activity.consumers))
      : null,
    h('section', { 'aria-labelledby': 'h-calls' }, h('h3', { id: 'h-calls' }, t('productCalls')), callsTable(calls)),
  );
}
