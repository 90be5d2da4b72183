import type { Store } from '../store/store.js';
import type { ApiKeyService } from './api-key.service.js';

/** An arbitrary constant: serialises the first-key check across processes starting together. */
const BOOTSTRAP_LOCK_KEY = 72_461_954;

export const LOCAL_ADMIN_KEY_NAME = 'local-admin';

/**
 * On a fresh embedded-emulator start, no API key exists yet and nobody could call the API:
 * create one admin key named `local-admin` and print it once, with how to use it. Only the
 * first of several processes starting together creates it (advisory lock; the others see a
 * key exists). The key goes to `write` (stdout), never through the logger.
 * Returns the key, or null when keys already existed.
 */
export async function ensureFirstAdminKey(options: {
  store: Store;
  apiKeys: ApiKeyService;
  sandbox: string;
  /** Where the key is printed; default stdout. */
  write?: (text: string) => void;
  /** For the printed example. */
  graphqlUrl?: string;
}): Promise<string | null> {
  const { store } = options;
  const client = await store.pool.connect();
  let key: string | null = null;
  try {
    await client.query('SELECT pg_advisory_lock($1)', [BOOTSTRAP_LOCK_KEY]);
    try {
      if ((await store.apiKeys.count()) > 0) return null;
      key = (await options.apiKeys.create({ name: LOCAL_ADMIN_KEY_NAME, role: 'admin' }, { actor: 'system:first-start', sandbox: options.sandbox })).key;
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [BOOTSTRAP_LOCK_KEY]);
    }
  } finally {
    client.release();
  }
  const url = options.graphqlUrl ?? 'http://localhost:4000/graphql';
  const write = options.write ?? ((text: string) => process.stdout.write(text));
  write(
    [
      '',
      '================ Flowgate: first start, an admin API key was created ================',
      `  ${key}`,
      '  It is shown only this once (only its hash is stored). Use it as:',
      `    curl -H 'Authorization: Bearer ${key}' -H 'content-type: application/json' \\`,
      `         -d '{"query":"{ whoami { id role } }"}' ${url}`,
      `    graphql-ws: createClient({ url: '${url.replace(/^http/, 'ws')}', connectionParams: { authorization: 'Bearer ${key}' } })`,
      '  More keys: npm run apikey -- create --name <name> --role viewer|operator|admin|auditor',
      '=======================================================================================',
      '',
    ].join('\n'),
  );
  return key;
}
