// privacy/: distributed privacy computing (R14): the private set intersection's group and
// client. Imports nothing of ours but errors/.
export { blind, checkMac, decodePoint, encodePoint, hashToGroup, messageMac, PSI_DST, randomScalar, type GroupPoint } from './group.ts';
export { runPsiClient, type PsiTransport } from './client.ts';
export { bernoulli, bernoulliExp, discreteLaplace, laplaceScale, rational, releaseThreshold, type Rational } from './dp.ts';
export { blindAll } from './parallel.ts';
