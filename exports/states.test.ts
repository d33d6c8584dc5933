import { describe, expect, it } from 'vitest';
import { EXPORT_TRANSITIONS, canTransition, checkTransition, stateDiagram, type ExportAction, type ExportState } from './index.ts';

const STATES: ExportState[] = ['draft', 'blocked', 'submitted', 'in_review', 'approved', 'released', 'returned', 'rejected', 'withdrawn', 'revoked'];
const ACTIONS: ExportAction[] = ['submit', 'revise', 'vote_approve', 'approve', 'release', 'return', 'reject', 'resubmit', 'withdraw', 'revoke'];

describe('export request transitions', () => {
  it('allows exactly the transitions in the table and refuses every other with EXPORT_TRANSITION', () => {
    for (const s of STATES) {
      for (const a of ACTIONS) {
        const inTable = EXPORT_TRANSITIONS.find(([f, x]) => f === s && x === a);
        expect(canTransition(s, a), `${s} --${a}`).toBe(Boolean(inTable));
        if (inTable) expect(checkTransition(s, a)).toBe(inTable[2]);
        else expect(() => checkTransition(s, a)).toThrow(expect.objectContaining({ code: 'EXPORT_TRANSITION' }));
      }
    }
  });
  it('terminal states allow nothing; a blocked request can only be revised into a draft, never approved', () => {
    for (const s of ['rejected', 'withdrawn', 'revoked'] as const) for (const a of ACTIONS) expect(canTransition(s, a)).toBe(false);
    for (const a of ACTIONS) expect(canTransition('blocked', a)).toBe(a === 'revise');
    expect(checkTransition('blocked', 'revise')).toBe('draft');
  });
  it('generates its state diagram from the table', () => {
    const d = stateDiagram();
    for (const [f, a, t] of EXPORT_TRANSITIONS) expect(d).toContain(`${f} --> ${t}: ${a}`);
  });
});

describe('docs/exports.md', () => {
  it('embeds the state diagram generated from the table', async () => {
    const { readFileSync } = await import('node:fs');
    const doc = readFileSync(new URL('../docs/exports.md', import.meta.url), 'utf8');
    expect(doc).toContain(stateDiagram());
  });
});

describe('who may act on a request', () => {
  const operator = { role: 'operator', isRequester: true, hasVoted: false };
  const reviewer = { role: 'reviewer', isRequester: false, hasVoted: false };
  it('the requester works on drafts and returns; a reviewer who has not voted decides; the authority revokes', async () => {
    const { exportActions } = await import('./states.ts');
    expect(exportActions('draft', operator).sort()).toEqual(['revise', 'submit', 'withdraw']);
    expect(exportActions('returned', operator).sort()).toEqual(['resubmit', 'revise', 'withdraw']);
    expect(exportActions('in_review', operator)).toEqual(['withdraw']);
    expect(exportActions('in_review', reviewer).sort()).toEqual(['approve', 'reject', 'return']);
    expect(exportActions('in_review', { ...reviewer, hasVoted: true })).toEqual([]);
    // A reviewer who filed it (no such thing in the demo, but the rule holds) never decides it.
    expect(exportActions('submitted', { ...reviewer, isRequester: true })).toEqual([]);
    expect(exportActions('submitted', { role: 'operator', isRequester: false, hasVoted: false })).toEqual([]);
    for (const role of ['reviewer', 'security', 'admin']) expect(exportActions('released', { role, isRequester: false, hasVoted: true })).toEqual(['revoke']);
    expect(exportActions('released', operator)).toEqual([]);
    expect(exportActions('approved', reviewer)).toEqual([]);
  });

  it('the services refuse from the same table: a role is refused a step exactly when no actor of that step holds it', async () => {
    const { EXPORT_ACTORS, EXPORT_TRANSITIONS, canExportRole, checkExportRole, exportActions } = await import('./states.ts');
    const roles = ['operator', 'reviewer', 'security', 'admin'];
    for (const action of Object.keys(EXPORT_ACTORS) as (keyof typeof EXPORT_ACTORS)[]) {
      for (const role of roles) {
        // Some state and some caller of this role can take the step, or checkExportRole refuses it.
        const offered = EXPORT_TRANSITIONS.some(
          ([from, a]) =>
            a === action &&
            [true, false].some((isRequester) =>
              exportActions(from, { role, isRequester, hasVoted: false }).includes(action === 'vote_approve' ? 'approve' : action),
            ),
        );
        expect({ action, role, may: canExportRole(action, role) }).toEqual({ action, role, may: offered });
        if (offered) expect(() => checkExportRole(action, role)).not.toThrow();
        else expect(() => checkExportRole(action, role)).toThrow(expect.objectContaining({ code: 'FORBIDDEN_ROLE' }));
      }
    }
  });
});
