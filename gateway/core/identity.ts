// Identity (DESIGN security layer 1): bearer JWTs verified with jose — algorithm pinned to
// EdDSA, issuer, audience, expiry and issued-at required, small clock tolerance, size capped.
// Keys come from the built-in dev issuer (its key lives in the data home) while it is enabled.
import { SignJWT, importJWK, jwtVerify, type CryptoKey, type JWK } from 'jose';
import { OpError } from '../../errors/index.ts';
import { loadOrCreateSigningKey, type SigningKey } from '../../lineage/index.ts';
import { ROLES, type People, type Role } from '../../domain/index.ts';
import type { ControlStore } from '../../store/index.ts';
import type { Principal } from './principal.ts';

export const DEV_ISSUER = 'urn:opdomain:dev-issuer';
export const AUDIENCE = 'opdomain';
export const MAX_TOKEN_BYTES = 8192;
const DEV_ISSUER_FLAG = 'dev_issuer';

export class Identity {
  private constructor(
    private readonly store: ControlStore,
    private readonly people: People,
    private readonly devKey: SigningKey,
    private readonly devPublicKey: CryptoKey,
  ) {}

  static async open(store: ControlStore, people: People, keysDir: string): Promise<Identity> {
    const key = await loadOrCreateSigningKey(keysDir, 'dev-issuer');
    return new Identity(store, people, key, (await importJWK(key.publicJwk, 'EdDSA')) as CryptoKey);
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
    if (!this.devIssuerEnabled) throw new OpError('AUTH_INVALID_TOKEN', 'no identity provider accepts this token (the dev issuer is disabled)');
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.devPublicKey, {
        algorithms: ['EdDSA'],
        issuer: DEV_ISSUER,
        audience: AUDIENCE,
        requiredClaims: ['exp', 'iat', 'sub'],
        clockTolerance: 30,
      }));
    } catch (err) {
      throw new OpError('AUTH_INVALID_TOKEN', `the token failed verification (${(err as { code?: string }).code ?? 'invalid'})`);
    }
    const role = payload.role;
    const tenant = payload.tenant;
    if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) throw new OpError('AUTH_INVALID_TOKEN', 'the role claim is missing or malformed');
    if (tenant !== undefined && (typeof tenant !== 'string' || !/^[a-z][a-z0-9-]{1,39}$/.test(tenant))) throw new OpError('AUTH_INVALID_TOKEN', 'the tenant claim is malformed');
    if (role === 'operator' && tenant === undefined) throw new OpError('AUTH_INVALID_TOKEN', 'an operator token must name its tenant');
    const person = this.people.get(String(payload.sub));
    if (!person) throw new OpError('AUTH_UNKNOWN_USER');
    if (person.role !== role || (person.tenant ?? undefined) !== tenant) throw new OpError('AUTH_INVALID_TOKEN', 'the token\'s role or tenant no longer matches the registration');
    if (!this.people.mayAct(person)) throw new OpError('FORBIDDEN_ROLE', 'real-name verification or the confidentiality agreement is missing or expired (R22)');
    return { user: person.name, role: role as Role, tenant: person.tenant };
  }
}
