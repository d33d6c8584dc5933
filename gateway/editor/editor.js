// The operator's script editor: CodeMirror 6 with JavaScript, completion of the script SDK (read
// from sandbox/sdk.d.ts at build time) and of the tables and columns the authorization grants,
// the last dev run's error marked at its line and column, and Ctrl/Cmd-Enter to run.
// bin/buildEditor.js bundles this file for the browser; the gateway serves the bundle itself
// (no CDN: a domain's console must work on a network with no way out).
import { autocompletion, completeFromList } from '@codemirror/autocomplete';
import { javascript, javascriptLanguage } from '@codemirror/lang-javascript';
import { syntaxTree } from '@codemirror/language';
import { setDiagnostics } from '@codemirror/lint';
import { EditorState, Prec } from '@codemirror/state';
import { EditorView, keymap } from '@codemirror/view';
import { basicSetup } from 'codemirror';
import SDK from 'virtual:sdk-completions';

const toOption = (c, boost = 0) => ({ label: c.label, type: c.type, detail: c.detail, info: c.info || undefined, boost });

/** `sql.`, `dp.`, `console.`: the members the SDK declares on that global. */
function memberSource(ctx) {
  const m = ctx.matchBefore(/\b([A-Za-z_$][\w$]*)\.([\w$]*)$/);
  if (!m) return null;
  const [, owner, partial] = /([A-Za-z_$][\w$]*)\.([\w$]*)$/.exec(m.text);
  const list = SDK.members[owner];
  if (!list) return null;
  return { from: m.to - partial.length, options: list.map((c) => toOption(c)), validFor: /^[\w$]*$/ };
}

/** Names that start a statement or an expression: the SDK's globals first. */
const globalSource = completeFromList(SDK.globals.map((c) => toOption(c, 10)));

function inString(ctx) {
  const node = syntaxTree(ctx.state).resolveInner(ctx.pos, -1);
  return ['String', 'TemplateString'].includes(node.name);
}

export function createEditor(parent, { doc = '', label = 'script', onChange, onRun } = {}) {
  let tables = [];
  /** Inside a string (a query): table names, then the columns of every granted table. */
  const sqlSource = (ctx) => {
    if (!inString(ctx)) return null;
    const word = ctx.matchBefore(/[A-Za-z_][\w]*$/);
    if (!word && !ctx.explicit) return null;
    const options = [];
    for (const t of tables) {
      options.push({ label: t.name, type: 'class', detail: t.title || 'table', boost: 5 });
      for (const c of t.columns)
        options.push({ label: c.name, type: 'property', detail: `${t.name} · ${c.type}${c.grade ? ` · ${c.grade}` : ''}`, info: c.description || undefined });
    }
    return { from: word ? word.from : ctx.pos, options, validFor: /^\w*$/ };
  };
  const codeSource = (ctx) => (inString(ctx) ? null : (memberSource(ctx) ?? globalSource(ctx)));
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc,
      extensions: [
        basicSetup,
        javascript(),
        javascriptLanguage.data.of({ autocomplete: codeSource }),
        javascriptLanguage.data.of({ autocomplete: sqlSource }),
        autocompletion({ activateOnTyping: true }),
        // Above the default keymap, where Mod-Enter inserts a blank line.
        Prec.highest(
          keymap.of([
            {
              key: 'Mod-Enter',
              run: () => {
                onRun?.();
                return true;
              },
            },
          ]),
        ),
        EditorView.updateListener.of((u) => {
          if (u.docChanged) onChange?.(u.state.doc.toString());
        }),
        EditorView.contentAttributes.of({ 'aria-label': label }),
      ],
    }),
  });
  return {
    view,
    get value() {
      return view.state.doc.toString();
    },
    set value(text) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
    },
    focus: () => view.focus(),
    /** The granted tables (GET /api/tenants/ID/schema) offered inside query strings. */
    setTables(list) {
      tables = list;
    },
    /** Marks the dev run's error at its line and column (1-based), or clears the marks. */
    showError(err) {
      const diagnostics = [];
      if (err && err.line >= 1 && err.line <= view.state.doc.lines) {
        const line = view.state.doc.line(err.line);
        const from = Math.min(line.from + Math.max(0, (err.column ?? 1) - 1), line.to);
        diagnostics.push({ from, to: Math.max(from, line.to), severity: 'error', message: err.message });
      }
      view.dispatch(setDiagnostics(view.state, diagnostics));
    },
  };
}

export const sdk = SDK;
