// Helpers for environment records ({ NAME: value | undefined }) that every layer uses.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';

/** The entries that have a value. */
export function definedOnly(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

/** Home folder of the user who started kiln: the sudo caller's (from /etc/passwd) under sudo,
 * else HOME. `~` in a flavour's cache-inputs means this folder. */
export function invokingHome(env: Record<string, string | undefined>, passwd = '/etc/passwd'): string {
  const caller = env.SUDO_USER;
  if (caller && caller !== 'root') {
    let entries = '';
    try {
      entries = readFileSync(passwd, 'utf8');
    } catch {
      // no passwd file: fall back to the usual place
    }
    const line = entries.split('\n').find((l) => l.startsWith(`${caller}:`));
    return line?.split(':')[5] || `/home/${caller}`;
  }
  return env.HOME ?? homedir();
}
