// Group commit, shared by both stores: calls queued in the same turn of the event loop (or while
// the previous group was being written) are written in one transaction, each in a nested
// transaction (a savepoint) of its own, so a failing call rolls back alone; every caller's promise
// settles only once the group has committed. A group that cannot commit rejects every caller.

interface Pending {
  readonly fn: () => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

type Outcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };

export class GroupCommit {
  private pending: Pending[] = [];
  private scheduled = false;

  /**
   * `outer` runs its body in one transaction (one fsync); `inner` runs one call inside it so that
   * a throw undoes that call alone.
   */
  constructor(
    private readonly outer: (body: () => void) => void,
    private readonly inner: (fn: () => unknown) => unknown,
  ) {}

  enqueue<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (this.scheduled) return;
      this.scheduled = true;
      // After this turn's I/O callbacks: every job, query and request that arrived meanwhile joins.
      setImmediate(() => this.flush());
    });
  }

  /** Writes the waiting group now (also before the store closes). */
  flush(): void {
    this.scheduled = false;
    const group = this.pending;
    this.pending = [];
    if (group.length === 0) return;
    const outcomes: Outcome[] = [];
    try {
      this.outer(() => {
        for (const item of group) {
          try {
            outcomes.push({ ok: true, value: this.inner(item.fn) });
          } catch (error) {
            outcomes.push({ ok: false, error });
          }
        }
      });
    } catch (error) {
      // The group did not commit: nothing of it is durable, so every caller hears so.
      for (const item of group) item.reject(error);
      return;
    }
    group.forEach((item, i) => {
      const o = outcomes[i]!;
      if (o.ok) item.resolve(o.value);
      else item.reject(o.error);
    });
  }
}
