// The script SDK's completions, read from sandbox/sdk.d.ts with the TypeScript compiler: every
// global a script sees (sql, output, dp, log, params …) and the members of each, with the type and
// the documentation the .d.ts gives. The editor bundle carries the result, so what the editor
// offers is what the sandbox declares — one source, never a second list to keep in step.
import { readFileSync } from 'node:fs';

/** @returns {{ globals: Completion[], members: Record<string, Completion[]> }} */
export async function sdkCompletions(dtsPath) {
  const { default: ts } = await import('typescript');
  const options = { lib: ['lib.es2022.d.ts'], types: [], noEmit: true };
  const text = readFileSync(dtsPath, 'utf8');
  const program = ts.createProgram({ rootNames: [dtsPath], options, host: ts.createCompilerHost(options) });
  const checker = program.getTypeChecker();
  const file = program.getSourceFile(dtsPath);
  if (!file) throw new Error(`cannot read ${dtsPath}`);
  const doc = (sym) => ts.displayPartsToString(sym.getDocumentationComment(checker)).trim();
  const globals = [];
  const members = {};
  const addMembers = (name, node) => {
    const type = checker.getTypeAtLocation(node);
    const props = type.getProperties().map((p) => {
      const pt = checker.getTypeOfSymbolAtLocation(p, node);
      const callable = pt.getCallSignatures().length > 0;
      const sig = pt.getCallSignatures()[0];
      const detail = sig ? checker.signatureToString(sig) : checker.typeToString(pt, undefined, ts.TypeFormatFlags.NoTruncation);
      return { label: p.getName(), type: callable ? 'method' : 'property', detail, info: doc(p) };
    });
    if (props.length > 0) members[name] = props;
  };
  for (const st of file.statements) {
    if (ts.isVariableStatement(st)) {
      for (const d of st.declarationList.declarations) {
        const sym = checker.getSymbolAtLocation(d.name);
        const type = checker.getTypeAtLocation(d);
        const sig = type.getCallSignatures()[0];
        const info = doc(sym) || (sig ? ts.displayPartsToString(sig.getDocumentationComment(checker)).trim() : '') || docOfType(type);
        const detail = sig ? checker.signatureToString(sig) : checker.typeToString(type, undefined, ts.TypeFormatFlags.NoTruncation);
        globals.push({ label: d.name.getText(file), type: sig ? 'function' : 'variable', detail, info });
        addMembers(d.name.getText(file), d);
      }
    } else if (ts.isFunctionDeclaration(st) && st.name) {
      const sym = checker.getSymbolAtLocation(st.name);
      const sig = checker.getSignatureFromDeclaration(st);
      globals.push({ label: st.name.getText(file), type: 'function', detail: sig ? checker.signatureToString(sig) : '', info: doc(sym) });
    }
  }
  return { globals: dedupe(globals), members, bytes: text.length };

  function docOfType(type) {
    const s = type.getSymbol() ?? type.aliasSymbol;
    return s ? doc(s) : '';
  }
}

/** Overloads of one function appear once, with the first's text. */
function dedupe(list) {
  const seen = new Map();
  for (const c of list) if (!seen.has(c.label)) seen.set(c.label, c);
  return [...seen.values()];
}
