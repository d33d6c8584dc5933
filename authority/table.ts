// One shape for the authority's workflow tables: [from, action, to, roles that may act], and an
// optional rule about the person (nobody decides what they filed). check() throws; can() answers;
// actions() is what the console shows.
import { OpError, type ErrorCode } from '../errors/index.ts';

export type WorkflowRole = 'operator' | 'reviewer' | 'security' | 'admin';

export interface WorkflowActor {
  readonly user: string;
  readonly role: string;
}

export interface Workflow<S extends string, A extends string> {
  readonly transitions: readonly (readonly [S, A, S, readonly WorkflowRole[]])[];
  can(from: S, action: A, actor: WorkflowActor, filedBy: string): boolean;
  check(from: S, action: A, actor: WorkflowActor, filedBy: string): S;
  actions(from: S, actor: WorkflowActor, filedBy: string): A[];
  diagram(start: string): string;
}

/**
 * `ownActions` are the actions only the filer may take (withdraw); every other action is refused
 * to the filer (nobody approves, assigns or closes what they filed themselves).
 */
export function workflow<S extends string, A extends string>(
  name: string,
  code: ErrorCode,
  transitions: readonly (readonly [S, A, S, readonly WorkflowRole[]])[],
  ownActions: readonly A[] = [],
): Workflow<S, A> {
  const why = (from: S, action: A, actor: WorkflowActor, filedBy: string): OpError | undefined => {
    const t = transitions.find(([f, a]) => f === from && a === action);
    if (!t) return new OpError(code, `cannot ${action.replaceAll('_', ' ')} a ${name} that is ${from}`);
    if (!t[3].includes(actor.role as WorkflowRole))
      return new OpError('FORBIDDEN_ROLE', `only ${t[3].join(' or ')} may ${action.replaceAll('_', ' ')} a ${name}`);
    const own = ownActions.includes(action);
    if (own && actor.user !== filedBy) return new OpError('FORBIDDEN_ROLE', `only the person who filed the ${name} may ${action.replaceAll('_', ' ')} it`);
    if (!own && actor.user === filedBy) return new OpError('FORBIDDEN_ROLE', `nobody may ${action.replaceAll('_', ' ')} a ${name} they filed`);
    return undefined;
  };
  return {
    transitions,
    can: (from, action, actor, filedBy) => why(from, action, actor, filedBy) === undefined,
    check(from, action, actor, filedBy) {
      const e = why(from, action, actor, filedBy);
      if (e) throw e;
      return transitions.find(([f, a]) => f === from && a === action)![2];
    },
    actions: (from, actor, filedBy) =>
      [...new Set(transitions.filter(([f]) => f === from).map(([, a]) => a))].filter((a) => why(from, a, actor, filedBy) === undefined),
    diagram(start) {
      const lines = ['stateDiagram-v2', `  [*] --> ${start}`];
      for (const [f, a, t, who] of transitions) lines.push(`  ${f} --> ${t}: ${a} (${who.join(', ')})`);
      return lines.join('\n');
    },
  };
}
