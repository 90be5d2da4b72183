import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../logging/logger.js';

/**
 * Where the embedded mode keeps its generated secret key when FLOWGATE_SECRET_KEY is unset, so
 * tokens stored by one run can be read by the next. Outside embedded mode a key is required.
 */
export function embeddedSecretKey(logger: Logger | null, options: { create?: boolean } = {}): { id: string; key: Buffer } | null {
  const dir = path.resolve(process.cwd(), '.flowgate');
  const file = path.join(dir, 'local-secret.key');
  if (!existsSync(file)) {
    if (options.create === false) return null;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600 });
    logger?.info({ file }, 'generated a local secret key for the embedded mode');
  }
  return { id: 'local', key: Buffer.from(readFileSync(file, 'utf8').trim(), 'hex') };
}
