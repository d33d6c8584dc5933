// Operator pages: run a script; jobs with their state, the limit hit and their outputs; export
// requests with their reports, the one-step suppression fix, submit, resubmit and withdraw.
import { api, enc, session, downloadJson } from '../lib/api.js';
import { barChart } from '../lib/chart.js';
import { badge, confirmDialog, errorBox, fmtTime, h, mount, table } from '../lib/dom.js';
import { t } from '../lib/i18n.js';

const LIMIT_CODES = /^(SANDBOX_|JOB_CANCELLED|JOB_FAILED_LIMIT)/;
const EXAMPLE =
  "const rows = await sql(`SELECT county_code, count(*) AS people FROM population GROUP BY 1 HAVING count(*) >= 10 ORDER BY 1`);\noutput('people_by_county', rows);";

// The workbench keeps the script being written and the last run's answer across renders and
// reloads of this tab: running a script never throws the text or the result away.
// Kept per person: another sign-in in the same tab starts from its own.
const WORKBENCH = () => `opdomain-workbench:${session.me.user}`;
const bench = () => {
  try {
    return JSON.parse(sessionStorage.getItem(WORKBENCH()) || '{}') || {};
  } catch {
    return {};
  }
};
const keep = (patch) => sessionStorage.setItem(WORKBENCH(), JSON.stringify({ ...bench(), ...patch }));
const HISTORY = 20;
/** Keeps a run as the last one and at the head of the history (each with its script, to go back to). */
function keepRun(run) {
  const history = [run, ...(bench().history || []).filter((r) => r.jobId !== run.jobId)].slice(0, HISTORY);
  keep({ lastRun: run, history });
}

/** "[job.js:2:7]" in a dev error: the line and column the editor marks. */
export function errorPlace(message) {
  const m = /\[job\.js:(\d+):(\d+)\]/.exec(message || '');
  return m ? { line: Number(m[1]), column: Number(m[2]) } : null;
}

/**
 * The code editor (CodeMirror, bundled and served by the gateway) over the text area: the text
 * area stays the form's value and the fallback when the bundle cannot load.
 */
async function mountEditor(holder, area, { tenant, lastRun, onRun }) {
  let editor;
  try {
    const { createEditor } = await import('/console/vendor/editor.js');
    editor = createEditor(holder, {
      doc: area.value,
      label: t('script'),
      onRun,
      onChange: (v) => {
        area.value = v;
        keep({ script: v });
      },
    });
  } catch {
    return null;
  }
  area.hidden = true;
  holder.hidden = false;
  const place = lastRun?.error ? errorPlace(lastRun.error.message) : null;
  if (place) editor.showError({ ...place, message: lastRun.error.message });
  if (tenant)
    api('GET', `/api/tenants/${enc(tenant)}/schema`).then(
      ({ tables }) => editor.setTables(tables),
      () => {},
    );
  return editor;
}

/** The tables a script may read, asked for when opened (the server reads them from the authorization's file). */
function schemaBrowser(tenant) {
  const body = h('div', { id: 'schema-tables' }, h('p', { class: 'muted' }, t('loading')));
  let loaded = false;
  const box = h(
    'details',
    {
      id: 'schema-browser',
      ontoggle: async () => {
        if (!box.open || loaded) return;
        loaded = true;
        try {
          const { tables } = await api('GET', `/api/tenants/${enc(tenant)}/schema`);
          mount(
            body,
            tables.length === 0
              ? h('p', { class: 'muted' }, t('none'))
              : tables.map((tb) =>
                  h(
                    'details',
                    { class: 'schema-table', dataset: { table: tb.name } },
                    h('summary', {}, h('code', {}, tb.name), tb.title ? ` · ${tb.title}` : '', ` (${tb.columns.length})`),
                    table(
                      [t('colName'), t('colType'), t('colGrade'), t('colSandbox'), t('colExport'), t('colDescription')],
                      tb.columns.map((c) =>
                        h(
                          'tr',
                          { dataset: { column: c.name } },
                          h('td', {}, h('code', {}, c.name)),
                          h('td', {}, c.type),
                          h('td', {}, c.grade || ''),
                          h('td', {}, c.sandboxLevel || ''),
                          h('td', {}, c.exportLevel || ''),
                          h('td', {}, c.description || ''),
                        ),
                      ),
                    ),
                  ),
                ),
          );
        } catch (e) {
          mount(body, errorBox(e));
        }
      },
    },
    h('summary', {}, t('schemaTitle')),
    h('p', { class: 'muted' }, t('schemaHint')),
    body,
  );
  return h('section', { 'aria-label': t('schemaTitle') }, box);
}

/** The last run: its job, outcome, the full error (with line and column in dev), logs and each output's first rows. */
function lastRunPanel(r) {
  if (!r) return null;
  return h(
    'section',
    { id: 'last-run', 'aria-labelledby': 'h-last-run' },
    h(
      'h3',
      { id: 'h-last-run' },
      t('lastRun'),
      ' ',
      badge(r.ok ? 'ok' : r.error.code, r.ok ? 'pass' : 'block'),
      ' ',
      h('a', { href: `#job-${r.jobId}`, title: t('jobRecord') }, h('code', { id: 'last-run-job' }, r.jobId)),
      ' · ',
      t(r.env),
    ),
    r.error ? h('pre', { id: 'run-error', class: 'code error' }, r.error.message) : null,
    r.logs?.length ? h('details', { open: true }, h('summary', {}, t('logs')), h('pre', { id: 'run-logs', class: 'code' }, r.logs.join('\n'))) : null,
    (r.outputs || []).map((o) =>
      h(
        'div',
        { class: 'run-output', dataset: { output: o.name } },
        h('h4', {}, o.name, ' ', h('span', { class: 'muted' }, o.size ? t(`size_${o.size}`) : t('rowsN', { n: o.rowCount }))),
        o.preview
          ? table(
              o.columns.map((c) => c.name),
              o.preview.map((row) =>
                h(
                  'tr',
                  {},
                  row.map((v) => h('td', {}, v === null ? '∅' : typeof v === 'object' ? JSON.stringify(v) : String(v))),
                ),
              ),
              { class: 'data', empty: t('none') },
            )
          : null,
        o.preview ? barChart(o.columns, o.preview, new Map(), o.name) : null,
      ),
    ),
  );
}

/** Earlier runs of this tab, newest first: each shows its answer again, or puts its script back. */
function historyPanel(history, { show, restore }) {
  if (!history || history.length < 2) return null;
  return h(
    'section',
    { 'aria-label': t('runHistory', { n: history.length }) },
    h(
      'details',
      { id: 'run-history' },
      h('summary', {}, t('runHistory', { n: history.length })),
      table(
        [t('when'), t('id'), t('env'), t('outcome'), t('actions')],
        history.map((r) =>
          h(
            'tr',
            { dataset: { job: r.jobId } },
            h('td', {}, fmtTime(r.at)),
            h('td', {}, h('code', {}, r.jobId)),
            h('td', {}, t(r.env)),
            h('td', {}, r.ok ? badge('ok', 'pass') : badge(r.error.code, 'block')),
            h(
              'td',
              {},
              h('button', { type: 'button', class: 'small', dataset: { action: 'show-run' }, onclick: () => show(r) }, t('showRun')),
              ' ',
              r.script !== undefined
                ? h('button', { type: 'button', class: 'small', dataset: { action: 'restore-run' }, onclick: () => restore(r) }, t('restoreScript'))
                : null,
            ),
          ),
        ),
      ),
    ),
  );
}

/** Files a draft request for an output, with the purpose the requester states (optional). */
async function requestExport(jobId, output) {
  const purpose = await confirmDialog({
    title: `${t('requestExport')} · ${output}`,
    message: t('purposePrompt'),
    confirmLabel: t('requestExport'),
    cancelLabel: t('cancel'),
    reasonLabel: t('purpose'),
    tone: 'primary',
  });
  if (purpose === null) return false;
  await api('POST', '/api/exports', { jobId, output, draft: true, ...(purpose.trim() ? { purpose: purpose.trim() } : {}) });
  return true;
}

export async function jobsPage(root) {
  mount(root, h('p', { class: 'muted' }, t('loading')));
  const tenant = session.me.tenant;
  const [{ jobs }, { requests }] = await Promise.all([api('GET', '/api/jobs'), api('GET', '/api/exports')]);
  const status = h('p', { id: 'operator-status', role: 'status' });
  const kept = bench();
  const script = h(
    'textarea',
    { id: 'script-text', rows: 10, class: 'code', 'aria-label': t('script'), spellcheck: 'false', oninput: () => keep({ script: script.value }) },
    kept.script ?? EXAMPLE,
  );
  const holder = h('div', { id: 'script-editor', class: 'editor', hidden: true });
  let editor = null;
  const setScript = (text) => {
    script.value = text;
    if (editor) editor.value = text;
    keep({ script: text });
  };
  const env = h(
    'select',
    { id: 'script-env', 'aria-label': t('env'), onchange: () => keep({ env: env.value }) },
    h('option', { value: 'dev' }, t('dev')),
    h('option', { value: 'prod' }, t('prod')),
  );
  if (kept.env) env.value = kept.env;
  // Declared outputs: in prod the reply speaks only of these (name, columns; a size bucket each).
  const manifest = h('textarea', {
    id: 'script-manifest',
    rows: 3,
    class: 'code',
    'aria-label': t('manifest'),
    spellcheck: 'false',
    oninput: () => keep({ manifest: manifest.value }),
    placeholder: '{"outputs": [{"name": "people_by_county", "columns": [{"name": "county_code", "type": "VARCHAR"}, {"name": "people", "type": "BIGINT"}]}]}',
  });
  if (kept.manifest) manifest.value = kept.manifest;
  const requestByName = (j) => {
    const name = h('input', { type: 'text', class: 'small', 'aria-label': t('output'), placeholder: t('output'), dataset: { job: j.id } });
    return h(
      'span',
      {},
      name,
      ' ',
      h(
        'button',
        { type: 'button', class: 'small', dataset: { action: 'request' }, onclick: () => act(() => requestExport(j.id, name.value)) },
        t('requestExport'),
      ),
    );
  };
  const act = async (fn) => {
    try {
      await fn();
      await jobsPage(root);
    } catch (e) {
      mount(status, errorBox(e));
    }
  };
  const requestRows = requests
    .filter((r) => r.requester === session.me.user)
    .map((r) => {
      const returned = r.votes.filter((v) => v.decision === 'return').at(-1);
      const buttons = [];
      const fixable = r.rules.some((x) => x.verdict !== 'pass' && ['cell_count', 'dominance', 'zeros', 'differencing'].includes(x.rule));
      if (r.actions.includes('revise') && fixable) {
        buttons.push(
          h(
            'button',
            {
              type: 'button',
              class: 'small',
              dataset: { action: 'fix' },
              onclick: () => act(() => api('POST', `/api/exports/${enc(r.id)}/revise`, { fix: { suppress: true } })),
            },
            t('suppressFix'),
          ),
        );
      }
      if (r.actions.includes('submit') && r.verdict !== 'block')
        buttons.push(
          h(
            'button',
            {
              type: 'button',
              class: 'small primary',
              dataset: { action: 'submit' },
              onclick: () => act(() => api('POST', `/api/exports/${enc(r.id)}/submit`)),
            },
            t('submit'),
          ),
        );
      if (r.actions.includes('resubmit'))
        buttons.push(
          h(
            'button',
            {
              type: 'button',
              class: 'small primary',
              dataset: { action: 'resubmit' },
              onclick: () => act(() => api('POST', `/api/exports/${enc(r.id)}/resubmit`, {})),
            },
            t('resubmit'),
          ),
        );
      if (r.state === 'released')
        buttons.push(
          h(
            'button',
            {
              type: 'button',
              class: 'small primary',
              dataset: { action: 'download' },
              title: t('bundleNote'),
              onclick: () => act(() => downloadJson(`/api/exports/${enc(r.id)}/bundle`, `${r.id}.bundle.json`)),
            },
            t('downloadBundle'),
          ),
        );
      if (r.actions.includes('withdraw'))
        buttons.push(
          h(
            'button',
            { type: 'button', class: 'small', dataset: { action: 'withdraw' }, onclick: () => act(() => api('POST', `/api/exports/${enc(r.id)}/withdraw`)) },
            t('withdraw'),
          ),
        );
      return h(
        'tr',
        { dataset: { id: r.id } },
        h('td', {}, r.id),
        h('td', {}, r.output),
        h('td', {}, badge(r.state, 'state')),
        h('td', {}, badge(r.verdict)),
        h(
          'td',
          {},
          h(
            'details',
            {},
            h(
              'summary',
              {},
              r.rules
                .filter((x) => x.verdict !== 'pass')
                .map((x) => x.rule)
                .join(', ') || 'pass',
            ),
            h(
              'ul',
              {},
              r.rules.map((x) => h('li', {}, badge(x.verdict), ` ${x.rule}: ${x.reason}`)),
            ),
            r.fix ? h('p', { class: 'note' }, t('fixApplied', { n: r.fix.suppressed.length, r: '' })) : null,
          ),
        ),
        h('td', { class: 'returned' }, returned ? t('returnedBy', { r: returned.reviewer, c: returned.comment || '' }) : ''),
        h('td', {}, buttons),
      );
    });
  mount(
    root,
    h('h2', {}, t('navJobs'), tenant ? h('span', { class: 'muted' }, ` · ${tenant}`) : null),
    status,
    h(
      'section',
      { 'aria-labelledby': 'h-run' },
      h('h3', { id: 'h-run' }, t('runScript')),
      h(
        'form',
        {
          onsubmit: (e) => {
            e.preventDefault();
            act(async () => {
              const declared = manifest.value.trim() ? JSON.parse(manifest.value) : undefined;
              const r = await api('POST', '/api/jobs', { tenant, env: env.value, script: script.value, ...(declared ? { manifest: declared } : {}) });
              keep({ script: script.value, env: env.value, manifest: manifest.value });
              keepRun({ ...r, env: env.value, at: new Date().toISOString(), script: script.value });
            });
          },
        },
        holder,
        script,
        h('details', {}, h('summary', {}, t('manifest')), manifest),
        h(
          'p',
          { class: 'actions' },
          env,
          ' ',
          h('button', { type: 'submit', id: 'run', class: 'primary' }, t('run')),
          ' ',
          h('button', { type: 'button', id: 'reset-script', class: 'small', onclick: () => setScript(EXAMPLE) }, t('resetExample')),
          h('span', { class: 'muted small' }, ' ', t('runShortcut')),
        ),
      ),
    ),
    tenant ? schemaBrowser(tenant) : null,
    lastRunPanel(kept.lastRun),
    historyPanel(kept.history, {
      show: (r) => {
        keep({ lastRun: r });
        jobsPage(root);
      },
      restore: (r) => setScript(r.script),
    }),
    h(
      'section',
      { 'aria-labelledby': 'h-req' },
      h('h3', { id: 'h-req' }, t('myRequests')),
      table([t('id'), t('output'), t('state'), t('verdict'), t('checkReport'), t('comment'), t('actions')], requestRows, { empty: t('none') }),
    ),
    h(
      'section',
      { 'aria-labelledby': 'h-jobs' },
      h('h3', { id: 'h-jobs' }, t('jobs')),
      table(
        [t('id'), t('env'), t('state'), t('limits'), t('outputs'), t('created')],
        jobs.slice(0, 100).map((j) =>
          h(
            'tr',
            { id: `job-${j.id}`, dataset: { id: j.id } },
            h('td', {}, j.id),
            h('td', {}, j.env),
            h('td', {}, badge(j.state, 'state')),
            h('td', { title: j.errorMessage || '' }, j.errorCode ? badge(j.errorCode, LIMIT_CODES.test(j.errorCode) ? 'review' : 'block') : ''),
            h(
              'td',
              {},
              (j.outputs || []).map((o) =>
                h(
                  'div',
                  {},
                  `${o.name} (${o.size ? t(`size_${o.size}`) : o.rowCount})`,
                  j.env === 'prod' && j.state === 'completed'
                    ? [
                        ' ',
                        h(
                          'button',
                          {
                            type: 'button',
                            class: 'small',
                            dataset: { action: 'request', output: o.name },
                            onclick: () => act(() => requestExport(j.id, o.name)),
                          },
                          t('requestExport'),
                        ),
                      ]
                    : null,
                ),
              ),
              j.env === 'prod' && j.state === 'completed' && (j.outputs || []).length === 0 ? requestByName(j) : null,
            ),
            h('td', {}, fmtTime(j.createdAt)),
          ),
        ),
        { empty: t('none') },
      ),
    ),
  );
  editor = await mountEditor(holder, script, { tenant, lastRun: kept.lastRun, onRun: () => holder.closest('form').requestSubmit() });
}
