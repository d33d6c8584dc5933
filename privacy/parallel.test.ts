import { describe, expect, it } from 'vitest';
import { blind, encodePoint, hashToGroup, randomScalar } from './group.ts';
import { blindAll } from './parallel.ts';

describe('blindAll over worker threads', () => {
  it('gives what one thread gives, in order, and refuses a bad element with its index', async () => {
    const k = randomScalar();
    const ids = Array.from({ length: 4400 }, (_, i) => `33010219900101${String(i).padStart(4, '0')}`);
    const par = await blindAll('hash', ids, k, 2);
    expect(par.length).toBe(4400);
    for (const i of [0, 1, 2199, 2200, 4399]) expect(par[i]).toBe(encodePoint(blind(hashToGroup(ids[i]!), k)));
    const again = await blindAll('point', par, k, 2);
    expect(again[2200]).toBe(encodePoint(blind(blind(hashToGroup(ids[2200]!), k), k)));
    const bad = [...par];
    bad[3000] = '_'.repeat(43);
    await expect(blindAll('point', bad, k, 2)).rejects.toMatchObject({ code: 'PSI_INVALID_ELEMENT', message: expect.stringMatching(/element 3000/) });
  }, 120_000);
});
