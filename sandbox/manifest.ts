// Declared outputs (in the spirit of OpenSAFELY's project.yaml): a prod job names, before it
// runs, the outputs it will write and their columns. What the job then writes is checked on the
// host against that: an undeclared name, other columns or another type fail the job, always
// with the same code, so the data cannot choose what the operator learns.
import { OpError } from '../errors/index.ts';
import { OUTPUT_NAME } from './outputs.ts';
import type { JobOutput, OutputColumn } from './protocol.ts';

export interface Manifest {
  readonly outputs: readonly { readonly name: string; readonly columns: readonly OutputColumn[] }[];
}

/** At most this many declared outputs: each one's size bucket is part of the reply channel. */
export const MAX_DECLARED_OUTPUTS = 8;
const TYPES: ReadonlySet<string> = new Set(['VARCHAR', 'DOUBLE', 'BIGINT', 'BOOLEAN', 'JSON']);

export function parseManifest(input: unknown): Manifest | undefined {
  if (input === undefined || input === null) return undefined;
  const bad = (why: string): never => {
    throw new OpError('BAD_REQUEST', `manifest: ${why}`);
  };
  if (typeof input !== 'object' || Array.isArray(input)) bad('must be an object { outputs: [{ name, columns: [{ name, type }] }] }');
  const { outputs, ...rest } = input as Record<string, unknown>;
  if (Object.keys(rest).length > 0) bad(`unknown field ${Object.keys(rest)[0]}`);
  if (!Array.isArray(outputs) || outputs.length === 0 || outputs.length > MAX_DECLARED_OUTPUTS) bad(`outputs must list 1 to ${MAX_DECLARED_OUTPUTS} outputs`);
  const names = new Set<string>();
  const parsed = (outputs as unknown[]).map((o, i) => {
    if (!o || typeof o !== 'object' || Array.isArray(o)) bad(`outputs[${i}] must be an object`);
    const { name, columns, ...more } = o as Record<string, unknown>;
    if (Object.keys(more).length > 0) bad(`outputs[${i}]: unknown field ${Object.keys(more)[0]}`);
    if (typeof name !== 'string' || !OUTPUT_NAME.test(name)) bad(`outputs[${i}].name must be 1–64 characters: a lower-case letter, then letters, digits or _`);
    if (names.has(name as string)) bad(`output "${name as string}" is declared twice`);
    names.add(name as string);
    if (!Array.isArray(columns) || columns.length === 0 || columns.length > 256) bad(`outputs[${i}].columns must list 1 to 256 columns`);
    const cols = (columns as unknown[]).map((c, j) => {
      const { name: cn, type, ...x } = (c ?? {}) as Record<string, unknown>;
      if (Object.keys(x).length > 0 || typeof cn !== 'string' || cn.length === 0 || cn.length > 128) bad(`outputs[${i}].columns[${j}] must be { name, type }`);
      if (typeof type !== 'string' || !TYPES.has(type)) bad(`outputs[${i}].columns[${j}].type must be one of ${[...TYPES].join(', ')}`);
      return { name: cn as string, type: type as OutputColumn['type'] };
    });
    if (new Set(cols.map((c) => c.name)).size !== cols.length) bad(`outputs[${i}] declares a column twice`);
    return { name: name as string, columns: cols };
  });
  return { outputs: parsed };
}

/** Whether values inferred as `actual` fit a column declared `declared` (all-null columns fit any). */
function fits(declared: OutputColumn['type'], actual: OutputColumn['type'], values: readonly unknown[]): boolean {
  if (declared === actual) return true;
  if (declared === 'DOUBLE' && actual === 'BIGINT') return true;
  return values.every((v) => v === null);
}

/** The outputs with their declared types, or SANDBOX_OUTPUT_UNDECLARED — one code for every mismatch, and no detail. */
export function checkDeclared(outputs: readonly JobOutput[], manifest: Manifest): JobOutput[] {
  const undeclared = () => new OpError('SANDBOX_OUTPUT_UNDECLARED', 'an output does not match the manifest');
  return outputs.map((o) => {
    const d = manifest.outputs.find((x) => x.name === o.name);
    if (!d || d.columns.length !== o.columns.length) throw undeclared();
    d.columns.forEach((c, j) => {
      const a = o.columns[j]!;
      if (
        a.name !== c.name ||
        !fits(
          c.type,
          a.type,
          o.rows.map((r) => r[j]),
        )
      )
        throw undeclared();
    });
    return { ...o, columns: d.columns };
  });
}
