// Identity (DESIGN security layer 1): bearer JWTs verified with jose — algorithms pinned,
// issuer, audience, expiry and issued-at required, small clock tolerance, size capped. Keys
// come from the province's identity provider (a configured JWKS URL) or from the built-in dev
// issuer (its key lives in the data home) while it is enabled. A token's own key material
// (jku, jwk, x5u, x5c headers) is never used: such tokens are refused outright.
import { SignJWT, createRemoteJWKSet, decodeJwt, decodeProtectedHeader, importJWK, jwtVerify, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { OpError } from '../errors/index.ts';
import { loadOrCreateSigningKey, type SigningKey } from '../lineage/index.ts';
import { ROLES, type People, type Role } from '../domain/index.ts';
import type { Store } from '../store/index.ts';
import type { Principal } from './principal.ts';

export const DEV_ISSUER = 'urn:opdomain:dev-issuer';
export const AUDIENCE = 'opdomain';
export const MAX_TOKEN_BYTES = 8192;
const DEV_ISSUER_FLAG = 'dev_issuer';
const CLOCK_TOLERANCE_S = 30;
/** Asymmetric algorithms only: an HMAC "key" would be the provider's public key (HS/RS confusion). */
const ALLOWED_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
const FOREIGN_KEY_HEADERS = ['jku', 'jwk', 'x5u', 'x5c'];

/** The province's unified identity provider. */
export interface IdentityProviderConfig {
  /** Its JWKS (https; http only on loopback). */
  readonly jwksUrl: string;
  readonly issuer: string;
  /** Defaults to "opdomain". */
  readonly audience?: string;
  /** Defaults to RS256, ES256, EdDSA; symmetric algorithms are refused. */
  readonly algorithms?: readonly string[];
  /** Its login (OAuth 2.0 authorization code with PKCE), for the console's "sign in with the provider". */
  readonly login?: { readonly authorizeUrl: string; readonly tokenUrl: string; readonly clientId: string; readonly scope?: string };
}

/** From OPDOMAIN_IDP_JWKS_URL, OPDOMAIN_IDP_ISSUER, OPDOMAIN_IDP_AUDIENCE, OPDOMAIN_IDP_ALGORITHMS. */
export function identityProviderFromEnv(env: NodeJS.ProcessEnv = process.env): IdentityProviderConfig | undefined {
  if (!env.OPDOMAIN_IDP_JWKS_URL && !env.OPDOMAIN_IDP_ISSUER) return undefined;
  if (!env.OPDOMAIN_IDP_JWKS_URL || !env.OPDOMAIN_IDP_ISSUER) throw new OpError('BAD_REQUEST', 'set both OPDOMAIN_IDP_JWKS_URL and OPDOMAIN_IDP_ISSUER');
  return {
    jwksUrl: env.OPDOMAIN_IDP_JWKS_URL,
    issuer: env.OPDOMAIN_IDP_ISSUER,
    ...(env.OPDOMAIN_IDP_AUDIENCE ? { audience: env.OPDOMAIN_IDP_AUDIENCE } : {}),
    ...(env.OPDOMAIN_IDP_ALGORITHMS ? { algorithms: env.OPDOMAIN_IDP_ALGORITHMS.split(',').map((a) => a.trim()) } : {}),
    ...(env.OPDOMAIN_IDP_AUTHORIZE_URL && env.OPDOMAIN_IDP_TOKEN_URL && env.OPDOMAIN_IDP_CLIENT_ID
      ? {
          login: {
            authorizeUrl: env.OPDOMAIN_IDP_AUTHORIZE_URL,
            tokenUrl: env.OPDOMAIN_IDP_TOKEN_URL,
            clientId: env.OPDOMAIN_IDP_CLIENT_ID,
            ...(env.OPDOMAIN_IDP_SCOPE ? { scope: env.OPDOMAIN_IDP_SCOPE } : {}),
          },
        }
      : {}),
  };
}

/** https, or http on loopback (development and tests). */
function checkUrl(value: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new OpError('BAD_REQUEST', `the identity provider's ${what} is not a URL`);
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) throw new OpError('BAD_REQUEST', `the identity provider's ${what} must be https`);
  return url;
}

export interface Provider {
  readonly issuer: string;
  readonly audience: string;
  readonly algorithms: string[];
  readonly keys: ReturnType<typeof createRemoteJWKSet>;
  readonly login: { readonly authorizeUrl: string; readonly tokenUrl: string; readonly clientId: string; readonly scope: string } | null;
}

/** Validates a provider configuration (https, asymmetric algorithms) and prepares its key set; nothing is fetched yet. */
export function openProvider(c: IdentityProviderConfig): Provider {
  const url = checkUrl(c.jwksUrl, 'JWKS URL');
  const login = c.login
    ? {
        authorizeUrl: checkUrl(c.login.authorizeUrl, 'authorize URL').href,
        tokenUrl: checkUrl(c.login.tokenUrl, 'token URL').href,
        clientId: c.login.clientId,
        scope: c.login.scope ?? 'openid',
      }
    : null;
  if (login && (typeof login.clientId !== 'string' || login.clientId === '' || login.clientId.length > 200))
    throw new OpError('BAD_REQUEST', "the identity provider's client id is required");
  const algorithms = [...(c.algorithms ?? ['RS256', 'ES256', 'EdDSA'])];
  const bad = algorithms.filter((a) => !ALLOWED_ALGORITHMS.includes(a));
  if (bad.length > 0 || algorithms.length === 0)
    throw new OpError('BAD_REQUEST', `identity provider algorithms must be among ${ALLOWED_ALGORITHMS.join(', ')}`);
  return {
    issuer: c.issuer,
    audience: c.audience ?? AUDIENCE,
    algorithms,
    keys: createRemoteJWKSet(url, { timeoutDuration: 5000, cooldownDuration: 30_000, cacheMaxAge: 600_000 }),
    login,
  };
}

export class Identity {
  private constructor(
    private readonly store: Store,
    private readonly people: People,
    private readonly devKey: SigningKey,
    private readonly devPublicKey: CryptoKey,
    private readonly provider: Provider | undefined,
  ) {}

  static async open(store: Store, people: People, keysDir: string, provider?: Provider): Promise<Identity> {
    const key = await loadOrCreateSigningKey(keysDir, 'dev-issuer');
    return new Identity(store, people, key, (await importJWK(key.publicJwk, 'EdDSA')) as CryptoKey, provider);
  }

  /** What the console needs to offer sign-in (nothing secret). */
  signInOptions(): { provider: string | null; login: { authorizeUrl: string; clientId: string; scope: string } | null; devIssuer: boolean } {
    const l = this.provider?.login;
    return {
      provider: this.provider?.issuer ?? null,
      login: l ? { authorizeUrl: l.authorizeUrl, clientId: l.clientId, scope: l.scope } : null,
      devIssuer: this.devIssuerEnabled,
    };
  }

  /**
   * The provider's login: exchanges the authorization code (with the PKCE verifier) at its
   * token endpoint, server to server. The token is not verified here: Opdomain.signInWithCode
   * passes it through the same principal() as every other token.
   */
  async exchangeCode(input: { code: string; codeVerifier: string; redirectUri: string }): Promise<string> {
    const login = this.provider?.login;
    if (!login) throw new OpError('AUTH_LOGIN_FAILED', 'no identity provider login is configured');
    const body = new URLSearchParams({
      grant_type: 'authorization_code',
      code: input.code,
      redirect_uri: input.redirectUri,
      client_id: login.clientId,
      code_verifier: input.codeVerifier,
    });
    let answer: { access_token?: unknown; id_token?: unknown };
    try {
      const res = await fetch(login.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body,
        signal: AbortSignal.timeout(10_000),
        redirect: 'error',
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      answer = (await res.json()) as typeof answer;
    } catch (err) {
      throw new OpError('AUTH_LOGIN_FAILED', `the identity provider refused the code (${String((err as Error).message).slice(0, 80)})`);
    }
    const token = typeof answer.access_token === 'string' ? answer.access_token : typeof answer.id_token === 'string' ? answer.id_token : undefined;
    if (!token) throw new OpError('AUTH_LOGIN_FAILED', 'the identity provider answered without a token');
    return token;
  }

  get devIssuerEnabled(): boolean {
    return this.store.getMeta(DEV_ISSUER_FLAG) === 'enabled';
  }

  setDevIssuer(enabled: boolean): void {
    this.store.setMeta(DEV_ISSUER_FLAG, enabled ? 'enabled' : 'disabled');
  }

  devIssuerJwks(): { keys: JWK[] } {
    return { keys: [this.devKey.publicJwk] };
  }

  /** Mints a token for a registered user with the dev issuer (`--as NAME`, the demo's tokens). */
  async issueDevToken(name: string, ttlSeconds = 12 * 3600): Promise<string> {
    if (!this.devIssuerEnabled) throw new OpError('AUTH_DEV_ISSUER_DISABLED');
    const p = this.people.get(name);
    if (!p) throw new OpError('AUTH_UNKNOWN_USER', `no registered user "${name.slice(0, 64)}"`);
    return new SignJWT({ role: p.role, ...(p.tenant ? { tenant: p.tenant } : {}) })
      .setProtectedHeader({ alg: 'EdDSA', kid: this.devKey.kid, typ: 'JWT' })
      .setIssuer(DEV_ISSUER)
      .setAudience(AUDIENCE)
      .setSubject(p.name)
      .setIssuedAt()
      .setExpirationTime(`${ttlSeconds}s`)
      .sign(this.devKey.privateKey);
  }

  /** Verifies a bearer token and returns the principal; every failure is AUTH_*. */
  async verify(token: string | undefined): Promise<Principal> {
    if (!token) throw new OpError('AUTH_REQUIRED');
    if (token.length > MAX_TOKEN_BYTES) throw new OpError('AUTH_INVALID_TOKEN', 'the token is too large');
    let header: Record<string, unknown>;
    let claimed: JWTPayload;
    try {
      header = decodeProtectedHeader(token) as Record<string, unknown>;
      claimed = decodeJwt(token);
    } catch {
      throw new OpError('AUTH_INVALID_TOKEN', 'not a compact JWT');
    }
    if (FOREIGN_KEY_HEADERS.some((h) => h in header))
      throw new OpError('AUTH_INVALID_TOKEN', 'tokens that carry or point to their own keys (jku, jwk, x5u, x5c) are refused');
    if (header.kid !== undefined && (typeof header.kid !== 'string' || header.kid.length > 200)) throw new OpError('AUTH_INVALID_TOKEN', 'malformed kid');
    const options = { requiredClaims: ['exp', 'iat', 'sub'], clockTolerance: CLOCK_TOLERANCE_S };
    let payload: JWTPayload;
    try {
      // The unverified issuer only chooses which keys to try; the verification then pins it.
      if (this.provider && claimed.iss === this.provider.issuer) {
        ({ payload } = await jwtVerify(token, this.provider.keys, {
          ...options,
          algorithms: this.provider.algorithms,
          issuer: this.provider.issuer,
          audience: this.provider.audience,
        }));
      } else if (claimed.iss === DEV_ISSUER) {
        if (!this.devIssuerEnabled) throw new OpError('AUTH_INVALID_TOKEN', 'no identity provider accepts this token (the dev issuer is disabled)');
        ({ payload } = await jwtVerify(token, this.devPublicKey, { ...options, algorithms: ['EdDSA'], issuer: DEV_ISSUER, audience: AUDIENCE }));
      } else {
        throw new OpError('AUTH_INVALID_TOKEN', "the token's issuer is not a configured identity provider");
      }
    } catch (err) {
      if (err instanceof OpError) throw err;
      if ((err as { code?: string }).code === 'ERR_JWT_EXPIRED')
        throw new OpError('AUTH_TOKEN_EXPIRED', 'the token has expired: sign in again (or take a new one with `opdomain token NAME`)');
      throw new OpError('AUTH_INVALID_TOKEN', `the token failed verification (${(err as { code?: string }).code ?? 'invalid'})`);
    }
    if (typeof payload.iat !== 'number' || payload.iat > Date.now() / 1000 + CLOCK_TOLERANCE_S)
      throw new OpError('AUTH_INVALID_TOKEN', 'the token was issued in the future');
    const role = payload.role;
    const tenant = payload.tenant;
    if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role))
      throw new OpError('AUTH_INVALID_TOKEN', 'the role claim is missing or malformed');
    if (tenant !== undefined && (typeof tenant !== 'string' || !/^[a-z][a-z0-9-]{1,39}$/.test(tenant)))
      throw new OpError('AUTH_INVALID_TOKEN', 'the tenant claim is malformed');
    if (role === 'operator' && tenant === undefined) throw new OpError('AUTH_INVALID_TOKEN', 'an operator token must name its tenant');
    const person = this.people.get(String(payload.sub));
    if (!person) throw new OpError('AUTH_UNKNOWN_USER');
    if (person.role !== role || (person.tenant ?? undefined) !== tenant)
      throw new OpError('AUTH_INVALID_TOKEN', "the token's role or tenant no longer matches the registration");
    if (person.disabled) throw new OpError('AUTH_USER_DISABLED', `${person.name} was disabled by an administrator on ${person.disabled.at}`);
    if (!this.people.mayAct(person)) throw new OpError('FORBIDDEN_ROLE', 'real-name verification or the confidentiality agreement is missing or expired (R22)');
    return { user: person.name, role: role as Role, tenant: person.tenant };
  }
}
