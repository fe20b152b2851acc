// An ordinary user in group kiln with the sudoers.d/kiln rule: how a non-root person builds in sudo mode.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { repo } from './host.js';

const SUDOERS = '/etc/sudoers.d/kiln';

/** Creates `user` in group kiln and installs sudoers.d/kiln if missing; returns the undo. */
export function addKilnMember(user: string): () => void {
  const hadSudoers = existsSync(SUDOERS);
  execFileSync('groupadd', ['-f', 'kiln']);
  execFileSync('bash', ['-c', `id ${user} >/dev/null 2>&1 || useradd -M -G kiln ${user}`]);
  if (!hadSudoers) {
    copyFileSync(join(repo, 'sudoers.d/kiln'), SUDOERS);
    chmodSync(SUDOERS, 0o440);
  }
  return () => {
    if (!hadSudoers) rmSync(SUDOERS, { force: true });
    execFileSync('bash', ['-c', `userdel ${user} 2>/dev/null || true`]);
  };
}
