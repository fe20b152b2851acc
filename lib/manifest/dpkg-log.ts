// Which hook installed which package: dpkg's log (/var/log/dpkg.log, UTC in kiln's images) says
// when each package reached "installed"; the build's record says when each hook ran. A package
// installed inside a hook's window was installed by that hook. A package installed before any
// hook of this build ran came with the root a root.d hook made (an operating system flavour's
// cached base tree): it is that hook's, when root.d ran in this build. Installs in a layer taken
// from the cache stay unattributed. Pure.
import type { HookRun } from './record.js';

/** One `status installed` line: package (architecture dropped) and when. */
export interface DpkgInstall {
  name: string;
  atMs: number;
}

/** The `status installed` events of a dpkg log, in order. */
export function dpkgInstalls(log: string): DpkgInstall[] {
  const installs: DpkgInstall[] = [];
  for (const line of log.split('\n')) {
    const match = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) status installed (\S+) /.exec(line);
    if (match) installs.push({ name: match[3]!.replace(/:[a-z0-9]+$/, ''), atMs: Date.parse(`${match[1]!}T${match[2]!}Z`) });
  }
  return installs;
}

/** Package → the hook whose window holds its last install (dpkg logs whole seconds: windows widen by one). */
export function attributeInstalls(installs: readonly DpkgInstall[], hooks: readonly HookRun[]): Map<string, HookRun> {
  const byPackage = new Map<string, HookRun>();
  const first = Math.min(...hooks.map((h) => Math.floor(h.startedMs / 1000) * 1000));
  const bootstrap = hooks.find((h) => h.phase === 'root');
  for (const install of installs) {
    const hook = hooks.find((h) => install.atMs >= Math.floor(h.startedMs / 1000) * 1000 && install.atMs <= h.endedMs + 1000)
      ?? (install.atMs < first ? bootstrap : undefined);
    if (hook) byPackage.set(install.name, hook);
    else byPackage.delete(install.name);
  }
  return byPackage;
}
