// Which control-plane store a process opens: PostgreSQL when OPDOMAIN_DATABASE_URL names one
// (several gateways and worker nodes share it), else the home's embedded SQLite file.
import { OpError } from '../errors/index.ts';
import { ControlStore } from './controlStore.ts';
import type { HomePaths } from './home.ts';
import { isPostgresUrl, PgStore } from './pgStore.ts';
import type { Store } from './store.ts';

export function openStore(paths: HomePaths, url: string | undefined = process.env.OPDOMAIN_DATABASE_URL): Store {
  if (url === undefined || url === '') return new ControlStore(paths.controlDb);
  if (!isPostgresUrl(url)) throw new OpError('STORE_CONFIG_INVALID', 'OPDOMAIN_DATABASE_URL must be a postgres:// or postgresql:// URL');
  try {
    return new PgStore(url);
  } catch (e) {
    if (e instanceof OpError) throw e;
    throw new OpError('STORE_UNAVAILABLE', `the control store at OPDOMAIN_DATABASE_URL could not be opened: ${(e as Error).message}`);
  }
}
