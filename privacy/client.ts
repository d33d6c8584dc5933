// The operator's side of the private set intersection (ECDH-PSI, semi-honest): it hashes its
// identifiers onto the group and blinds them with a secret of its own that never leaves its
// process, then raises the domain's blinded public side to the same secret. It learns the domain's
// set size and, if the domain reveals it, the size of the intersection — nothing else.
import { messageMac, randomScalar } from './group.ts';
import { blindAll } from './parallel.ts';

/** What a client needs from the domain: the three steps, over HTTP or in-process. */
export interface PsiTransport {
  start(): Promise<{ id: string; key: string; domainSize: number | null; maxClientSize: number }>;
  blinded(id: string, elements: readonly string[], mac: string): Promise<{ elements: readonly string[]; mac: string }>;
  finish(id: string, elements: readonly string[], mac: string): Promise<{ state: string; matched?: number; dataset: string }>;
}

export async function runPsiClient(
  ids: readonly string[],
  transport: PsiTransport,
): Promise<{ session: string; matched?: number; dataset: string; sent: number }> {
  const unique = [...new Set(ids.map((x) => x.trim().toUpperCase()).filter((x) => x !== ''))];
  const a = randomScalar();
  const session = await transport.start();
  const key = Buffer.from(session.key, 'base64url');
  // Shuffled, so the order of the file says nothing to the domain.
  const mine = await blindAll('hash', unique, a);
  shuffle(mine);
  const reply = await transport.blinded(session.id, mine, messageMac(key, session.id, 'blinded', mine));
  if (reply.mac !== messageMac(key, session.id, 'reply', reply.elements)) throw new Error("the domain's reply does not carry the session MAC");
  // The domain's order is kept: it maps the answers back to its own rows.
  const theirs = await blindAll('point', reply.elements, a);
  const done = await transport.finish(session.id, theirs, messageMac(key, session.id, 'finish', theirs));
  return { session: session.id, dataset: done.dataset, sent: mine.length, ...(done.matched !== undefined ? { matched: done.matched } : {}) };
}

function shuffle<T>(xs: T[]): void {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Number(BigInt(`0x${Buffer.from(crypto.getRandomValues(new Uint8Array(6))).toString('hex')}`) % BigInt(i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
}
