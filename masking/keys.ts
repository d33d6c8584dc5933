// Per-tenant masking keys. They live under <home>/control/keys, never inside tenant files,
// and destroying a domain destroys its key (so its tokens can never be recomputed).
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export function ensureTenantKey(path: string): string {
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const hex = randomBytes(32).toString('hex');
  writeFileSync(path, `${hex}\n`, { mode: 0o600, flag: 'wx' });
  return hex;
}

export function readTenantKey(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, 'utf8').trim() : undefined;
}

export function destroyTenantKey(path: string): void {
  if (!existsSync(path)) return;
  // Overwrite before unlinking so the key does not linger in the file's old blocks.
  writeFileSync(path, randomBytes(64).toString('hex'));
  rmSync(path);
}

export function scopeKeyHex(tenantKeyHex: string, scope: string): string {
  return createHmac('sha256', Buffer.from(tenantKeyHex, 'hex')).update(`opdomain-token-scope:${scope}`).digest('hex');
}
