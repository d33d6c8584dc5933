// The domain's Ed25519 signing key: signs audit checkpoints and export bundle manifests.
// The private JWK lives in <home>/control/keys; its public half is published as a JWKS.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK, type CryptoKey } from 'jose';

export interface SigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

export async function loadOrCreateSigningKey(keysDir: string, name: string): Promise<SigningKey> {
  const path = join(keysDir, `${name}.jwk.json`);
  let jwk: JWK;
  if (existsSync(path)) {
    jwk = JSON.parse(readFileSync(path, 'utf8')) as JWK;
  } else {
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    jwk = await exportJWK(privateKey);
    jwk.kid = await calculateJwkThumbprint(jwk);
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    try {
      writeFileSync(path, JSON.stringify(jwk), { mode: 0o600, flag: 'wx' });
    } catch (err) {
      // Another process created it first: use theirs so both sign with one key.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      jwk = JSON.parse(readFileSync(path, 'utf8')) as JWK;
    }
  }
  const privateKey = (await importJWK(jwk, 'EdDSA')) as CryptoKey;
  const { d: _d, ...pub } = jwk;
  return { kid: jwk.kid!, privateKey, publicJwk: { ...pub, alg: 'EdDSA', use: 'sig' } };
}
