// A server configured without tokens would refuse every submission. On first start it makes
// one for user "admin" instead, in a file only its owner can read, and says where it is.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The admin token (created if needed) and the file holding it. */
export function adminToken(stateDir: string): { token: string; file: string } {
  const file = join(stateDir, 'admin.token');
  if (existsSync(file)) return { token: readFileSync(file, 'utf8').trim(), file };
  const token = randomBytes(24).toString('base64url');
  writeFileSync(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
  return { token, file };
}
