// An ordinary user with no sudo rule and no group of kiln's: what a person who may only run QEMU
// has (the --vm builds' promise of no root on the host). Created for a suite, removed after it.
import { execFileSync, spawn } from 'node:child_process';
import { chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Ran } from './host.js';

/** A plain user and how to run a command as them. */
export interface PlainUser {
  name: string;
  home: string;
  uid: number;
  gid: number;
  /** What `sudo -l` says of them (the tests check they may run nothing). */
  sudoRights(): string;
  /** Lets the user's git read repositories others own (safe.directory = *, in their ~/.gitconfig):
   * kiln dates a build by its flavours' last commit, and git refuses root's checkout to others. */
  trustGitFolders(): void;
  /** Makes `dir` (and its parents) and gives it to the user. */
  ownedFolder(dir: string): string;
  /** Runs argv as the user with a clean login-like environment plus `env`. */
  run(argv: string[], env?: Record<string, string>): Promise<Ran>;
  remove(): void;
}

/** Creates `name` (with a home) if missing. */
export function addPlainUser(name: string): PlainUser {
  execFileSync('bash', ['-c', `id ${name} >/dev/null 2>&1 || useradd -m ${name}`]);
  const home = `/home/${name}`;
  const uid = Number(execFileSync('id', ['-u', name]).toString());
  const gid = Number(execFileSync('id', ['-g', name]).toString());
  return {
    name, home, uid, gid,
    sudoRights: () => execFileSync('bash', ['-c', `sudo -n -l -U ${name} 2>&1 || true`]).toString(),
    trustGitFolders() {
      const config = join(home, '.gitconfig');
      writeFileSync(config, '[safe]\n\tdirectory = *\n');
      chownSync(config, uid, gid);
    },
    ownedFolder(dir) {
      mkdirSync(dir, { recursive: true });
      chownSync(dir, uid, gid);
      return dir;
    },
    run(argv, env = {}) {
      return new Promise((resolve) => {
        const vars = Object.entries({ HOME: home, USER: name, PATH: '/usr/local/bin:/usr/bin:/bin', ...env }).map(([k, v]) => `${k}=${v}`);
        const child = spawn('runuser', ['-u', name, '--', 'env', '-i', ...vars, ...argv], { cwd: home, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
      });
    },
    remove: () => execFileSync('bash', ['-c', `userdel -r ${name} 2>/dev/null || true`]),
  };
}
