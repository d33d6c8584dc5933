// Identity by attack: tokens from the province's identity provider (a real JWKS served over
// HTTP on loopback) and from the dev issuer, and every way a token can try to get in without
// being one: alg none, HS/RS confusion, unknown and injected kids, jku and embedded keys,
// expired, not yet valid, issued in the future, wrong issuer or audience, missing or malformed
// tenant claims, a tenant that no longer matches, an oversized token, a suspended tenant.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHmac } from 'node:crypto';
import { SignJWT, exportJWK, exportSPKI, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, DEV_ISSUER } from '../../gateway/index.ts';
import { demoDomain } from '../helpers.ts';

const ISSUER = 'https://idp.zjzwfw.example/realms/zj';
let server: Server;
let jwksHits = 0;
let idpKey: CryptoKey;
let idpPublicJwk: JWK;
let attackerKey: CryptoKey;
let attackerJwk: JWK;
let d: Awaited<ReturnType<typeof demoDomain>>;
let app: FastifyInstance;

beforeAll(async () => {
  ({ privateKey: idpKey } = await generateKeyPair('RS256', { extractable: true }).then(async (k) => {
    idpPublicJwk = { ...(await exportJWK(k.publicKey)), kid: 'idp-2026', alg: 'RS256', use: 'sig' };
    return k;
  }));
  const attacker = await generateKeyPair('RS256', { extractable: true });
  attackerKey = attacker.privateKey;
  attackerJwk = { ...(await exportJWK(attacker.publicKey)), kid: 'idp-2026', alg: 'RS256' };
  server = createServer((req, res) => {
    if (req.url === '/jwks.json') {
      jwksHits++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [idpPublicJwk] }));
    } else if (req.url === '/attacker-jwks.json') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [attackerJwk] }));
    } else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  d = await demoDomain({ workerPool: 0, identityProvider: { jwksUrl: `http://127.0.0.1:${port}/jwks.json`, issuer: ISSUER, algorithms: ['RS256', 'ES256'] } });
  app = buildApp(d.od);
  await app.ready();
}, 120_000);
afterAll(async () => {
  await app?.close();
  await d?.close();
  server?.close();
});

const now = () => Math.floor(Date.now() / 1000);
type Claims = Record<string, unknown>;
const base = (extra: Claims = {}): Claims => ({
  iss: ISSUER,
  aud: 'opdomain',
  sub: 'alice',
  role: 'operator',
  tenant: 'demo',
  iat: now(),
  exp: now() + 600,
  ...extra,
});

async function idpToken(claims: Claims = base(), header: Record<string, unknown> = {}, key: CryptoKey = idpKey): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'idp-2026', typ: 'JWT', ...header }).sign(key);
}
const b64 = (x: unknown) => Buffer.from(JSON.stringify(x)).toString('base64url');

async function codeOf(token: string): Promise<string> {
  try {
    await d.od.principal({ token });
    return 'OK';
  } catch (e) {
    return (e as { code: string }).code;
  }
}

describe('the identity provider (JWKS URL)', () => {
  it('accepts a well-formed token for a registered user, fetching the keys over HTTP', async () => {
    const p = await d.od.principal({ token: await idpToken() });
    expect(p).toEqual({ user: 'alice', role: 'operator', tenant: 'demo' });
    expect(jwksHits).toBeGreaterThan(0);
    const r = await app.inject({
      method: 'GET',
      url: '/api/whoami',
      headers: { authorization: `Bearer ${await idpToken(base({ sub: 'bob', role: 'reviewer', tenant: undefined }))}` },
    });
    expect(r.json()).toMatchObject({ user: 'bob', role: 'reviewer' });
  });

  const attacks: [string, () => Promise<string>, string?][] = [
    ['alg none', async () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64(base())}.`],
    [
      "HS256 signed with the provider's public key (HS/RS confusion)",
      async () => {
        const { importJWK } = await import('jose');
        const pem = await exportSPKI((await importJWK(idpPublicJwk, 'RS256')) as CryptoKey);
        const head = b64({ alg: 'HS256', typ: 'JWT', kid: 'idp-2026' });
        const body = b64(base());
        return `${head}.${body}.${createHmac('sha256', pem).update(`${head}.${body}`).digest('base64url')}`;
      },
    ],
    ['an unknown kid', () => idpToken(base(), { kid: 'rotated-away' })],
    ['an injected kid (path)', () => idpToken(base(), { kid: '../../control/keys/dev-issuer.jwk' })],
    ['an injected kid (SQL)', () => idpToken(base(), { kid: "' OR '1'='1" })],
    ['an oversized kid', () => idpToken(base(), { kid: 'k'.repeat(300) })],
    ["a jku pointing to the attacker's keys", () => idpToken(base(), { jku: 'http://127.0.0.1/attacker-jwks.json' }, attackerKey)],
    ['an embedded jwk of the attacker', () => idpToken(base(), { jwk: attackerJwk }, attackerKey)],
    ['an x5u header', () => idpToken(base(), { x5u: 'http://127.0.0.1/cert.pem' })],
    ["signed by another key with the provider's kid", () => idpToken(base(), {}, attackerKey)],
    ['expired', () => idpToken(base({ iat: now() - 3600, exp: now() - 120 })), 'AUTH_TOKEN_EXPIRED'],
    ['not yet valid (nbf)', () => idpToken(base({ nbf: now() + 600 }))],
    ['issued in the future', () => idpToken(base({ iat: now() + 600, exp: now() + 1200 }))],
    ['without exp', () => idpToken(base({ exp: undefined }))],
    ['without iat', () => idpToken(base({ iat: undefined }))],
    ['without sub', () => idpToken(base({ sub: undefined }))],
    ['a wrong issuer', () => idpToken(base({ iss: 'https://evil.example' }))],
    ["the dev issuer's name on the provider's key", () => idpToken(base({ iss: DEV_ISSUER }))],
    ['a wrong audience', () => idpToken(base({ aud: 'another-system' }))],
    ['an operator without a tenant claim', () => idpToken(base({ tenant: undefined }))],
    ['a malformed tenant claim', () => idpToken(base({ tenant: 'Demo; DROP TABLE tenants' }))],
    ['a tenant claim that is not a string', () => idpToken(base({ tenant: ['demo', 'beta'] }))],
    ['a tenant the user is not registered in', () => idpToken(base({ tenant: 'beta' }))],
    ['a role the user does not have', () => idpToken(base({ role: 'admin', tenant: undefined }))],
    ['an unknown role', () => idpToken(base({ role: 'root' }))],
    ['an unregistered user', () => idpToken(base({ sub: 'mallory' })), 'AUTH_UNKNOWN_USER'],
    ['an oversized token', () => idpToken(base({ pad: 'x'.repeat(9000) }))],
    ['garbage', async () => 'not.a.jwt'],
  ];
  for (const [name, make, code] of attacks) {
    it(`refuses ${name}`, async () => {
      expect(await codeOf(await make())).toBe(code ?? 'AUTH_INVALID_TOKEN');
    });
  }

  it('refuses over HTTP with 401 and an audited AUTH_REFUSED, without data in the message', async () => {
    const before = d.od.ctx.audit.size();
    const r = await app.inject({ method: 'GET', url: '/api/jobs', headers: { authorization: `Bearer ${await idpToken(base({ aud: 'x' }))}` } });
    expect(r.statusCode).toBe(401);
    expect(r.json().error.code).toBe('AUTH_INVALID_TOKEN');
    expect(d.od.ctx.audit.size()).toBe(before + 1);
    expect(d.od.ctx.audit.entries({ kind: 'AUTH_REFUSED' }).at(-1)!.data).toMatchObject({ code: 'AUTH_INVALID_TOKEN', route: '/api/jobs' });
  });

  it('refuses tokens of a suspended authorization at once, and accepts them again after resumption', async () => {
    const token = await idpToken();
    expect(await codeOf(token)).toBe('OK');
    const ada = await d.od.principal({ as: 'ada' });
    d.od.tenants.transition(ada, 'demo', 'suspend', 'breach');
    expect(await codeOf(token)).toBe('TENANT_NOT_ACTIVE');
    d.od.tenants.transition(ada, 'demo', 'resume');
    expect(await codeOf(token)).toBe('OK');
  });

  it('refuses a user whose real-name verification is withdrawn (R22)', async () => {
    const ada = await d.od.principal({ as: 'ada' });
    d.od.people.update(ada, 'alice', { verified: false });
    expect(await codeOf(await idpToken())).toBe('FORBIDDEN_ROLE');
    d.od.people.update(ada, 'alice', { verified: true });
    expect(await codeOf(await idpToken())).toBe('OK');
  });
});

describe('identity provider configuration', () => {
  it('refuses a plain-http JWKS URL off loopback and symmetric algorithms', async () => {
    const { Opdomain } = await import('../../gateway/index.ts');
    await expect(Opdomain.open({ home: d.home, identityProvider: { jwksUrl: 'http://idp.example/jwks.json', issuer: ISSUER } })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
    await expect(
      Opdomain.open({ home: d.home, identityProvider: { jwksUrl: 'https://idp.example/jwks.json', issuer: ISSUER, algorithms: ['HS256'] } }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });
});
