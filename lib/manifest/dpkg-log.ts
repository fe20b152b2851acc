// Which hook installed which package. While the root is built, kiln writes a line into the
// image's dpkg log before each hook (`kiln-hook PHASE HOOK FLAVOUR`): every package dpkg logs as
// installed after it was installed by that hook, in this build or in the one that made a cached
// layer. Packages logged before the first such line, or never logged (bootstrap tools remove the
// log), came with the root the first root.d hook made (an operating system flavour's bootstrap,
// or its cached base tree). Without the lines (kiln not root, so it could not write them), the
// hooks' time windows of this build are used instead.
// The log is removed from the image when it is normalised. Pure.
import type { HookRun } from './record.js';

/** A hook of the plan, without times. */
export interface HookRef {
  phase: string;
  hook: string;
  flavour: string;
}

const MARK = 'kiln-hook';

/** The line kiln writes before a hook (dpkg's own line layout: date, time, event). */
export function markerLine(ref: HookRef, at: Date): string {
  const stamp = at.toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, '');
  return `${stamp} ${MARK} ${ref.phase} ${ref.hook} ${ref.flavour}\n`;
}

/** One `status installed` line: package (architecture dropped) and when. */
export interface DpkgInstall {
  name: string;
  atMs: number;
}

const INSTALLED = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) status installed (\S+) /;

/** The `status installed` events of a dpkg log, in order. */
export function dpkgInstalls(log: string): DpkgInstall[] {
  const installs: DpkgInstall[] = [];
  for (const line of log.split('\n')) {
    const match = INSTALLED.exec(line);
    if (match) installs.push({ name: match[3]!.replace(/:[a-z0-9]+$/, ''), atMs: Date.parse(`${match[1]!}T${match[2]!}Z`) });
  }
  return installs;
}

/** Package → the hook after whose marker dpkg last logged it installed; `bootstrap` before any marker. */
function attributeByMarkers(log: string, bootstrap: HookRef | undefined): Map<string, HookRef> {
  const byPackage = new Map<string, HookRef>();
  let current = bootstrap;
  for (const line of log.split('\n')) {
    const mark = new RegExp(`^\\S+ \\S+ ${MARK} (\\S+) (\\S+) (\\S+)$`).exec(line);
    if (mark) {
      current = { phase: mark[1]!, hook: mark[2]!, flavour: mark[3]! };
      continue;
    }
    const installed = INSTALLED.exec(line);
    if (!installed) continue;
    const name = installed[3]!.replace(/:[a-z0-9]+$/, '');
    if (current) byPackage.set(name, current);
    else byPackage.delete(name);
  }
  return byPackage;
}

/** Package → the hook whose window (this build's) holds its last install; before every hook: `bootstrap`. */
function attributeByTime(installs: readonly DpkgInstall[], hooks: readonly HookRun[], bootstrap: HookRef | undefined): Map<string, HookRef> {
  const byPackage = new Map<string, HookRef>();
  // dpkg logs whole seconds: a hook's window starts at the second it started in.
  const first = Math.min(...hooks.map((h) => Math.floor(h.startedMs / 1000) * 1000));
  for (const install of installs) {
    const hook = hooks.find((h) => install.atMs >= Math.floor(h.startedMs / 1000) * 1000 && install.atMs <= h.endedMs)
      ?? (install.atMs < first ? bootstrap : undefined);
    if (hook) byPackage.set(install.name, { phase: hook.phase, hook: hook.hook, flavour: hook.flavour });
    else byPackage.delete(install.name);
  }
  return byPackage;
}

/** Which hook installed each of `installed`: by the markers when the log has them, else by time; never logged: `bootstrap`. */
export function attributeInstalls(log: string, hooks: readonly HookRun[], bootstrap: HookRef | undefined, installed: readonly string[] = []): Map<string, HookRef> {
  const byPackage = log.includes(` ${MARK} `) ? attributeByMarkers(log, bootstrap) : attributeByTime(dpkgInstalls(log), hooks, bootstrap);
  const logged = new Set(dpkgInstalls(log).map((i) => i.name));
  if (bootstrap) for (const name of installed) if (!logged.has(name)) byPackage.set(name, bootstrap);
  return byPackage;
}
