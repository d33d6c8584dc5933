// mitigation: an output the one-step fix changed (cells suppressed, counts rounded) goes to a
// reviewer, never to an automatic pass: the reviewer confirms that what remains says what the
// operator meant, and that nothing withheld can be recovered from elsewhere.
import type { RuleResult } from '../verdict.ts';
import type { CheckContext, Rule } from './context.ts';

export const mitigation: Rule = {
  id: 'mitigation',
  check(ctx: CheckContext): RuleResult {
    return ctx.mitigated
      ? { rule: this.id, verdict: 'review', reason: 'the one-step fix changed this output: a reviewer confirms the mitigated table' }
      : { rule: this.id, verdict: 'pass', reason: 'the output is as the job wrote it' };
  },
};
