// The chroot: kernel filesystems mounted into the image root, the host's resolv.conf swapped in,
// services blocked with policy-rc.d, and on release every process still rooted in the tree
// killed before anything is unmounted. All of it is registered on a ResourceStack.
import { readdirSync, readlinkSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { run, type RunOptions, type RunResult } from '../exec/run.js';
import type { LogSink } from '../log.js';
import type { ResourceStack } from './disposable-stack.js';
import { mount, mountsBelow, unmount } from './mount.js';
import { isAtOrBelow } from './safe-path.js';
import { imageEntryExists, isImageSymlink, makeImageDir, makeRootDir, moveImageFile, removeImageFile, writeImageFile, type ImageTree } from './root-files.js';

const POLICY_RC_D = '#!/bin/sh\n# Written by kiln while the image is built: no service may start in the chroot.\nexit 101\n';

/** Mounts /proc, /sys (read-only), /dev and a private /dev/pts into `root` (a real path). */
async function mountKernelFilesystems(stack: ResourceStack, root: string, log?: LogSink): Promise<void> {
  const tree: ImageTree = { root, log };
  const [proc, sys, dev] = [await makeImageDir(tree, 'proc'), await makeImageDir(tree, 'sys'), await makeImageDir(tree, 'dev')];
  // Registered first so it runs last: whatever a hook mounted below the root is released, but
  // not the mounts that were there before the chroot (a disk's own filesystems).
  const existing = new Set(mountsBelow(root));
  stack.defer(`unmount what hooks mounted below ${root}`, async () => {
    for (const point of mountsBelow(root)) if (!existing.has(point)) await unmount(point, log);
  });
  await mount(stack, { source: 'proc', target: proc, fstype: 'proc', log });
  // Read-only sysfs makes systemd and udev behave as in a container (DIB release note sysfs-ro).
  await mount(stack, { source: 'sysfs', target: sys, fstype: 'sysfs', options: ['ro'], log });
  await mount(stack, { source: '/dev', target: dev, bind: true, log });
  // Below the bind mount of the host's /dev: created by kiln, so no image content is involved.
  const pts = join(dev, 'pts');
  await makeRootDir(pts, log);
  await mount(stack, {
    source: 'devpts', target: pts, fstype: 'devpts',
    options: ['newinstance', 'ptmxmode=0666', 'mode=620', 'gid=5'], log,
  });
}

/**
 * Replaces `path` in the image with `content` for the build and registers putting the image's
 * own file (kept as `path + saveSuffix`) back, also when the build fails. As in DIB, a hook may
 * leave the wanted final file as the saved one, and a symlink a hook put in place is kept. Every
 * step resolves the path inside the image again: hooks ran in between and may have moved links.
 */
async function swapImageFile(stack: ResourceStack, tree: ImageTree, path: string, content: string, mode: number, saveSuffix: string): Promise<void> {
  const saved = `${path}${saveSuffix}`;
  if (imageEntryExists(tree, path)) await moveImageFile(tree, path, saved);
  stack.defer(`restore ${path} in ${tree.root}`, async () => {
    if (isImageSymlink(tree, path)) {
      await removeImageFile(tree, saved);
      return;
    }
    await removeImageFile(tree, path);
    if (imageEntryExists(tree, saved)) await moveImageFile(tree, saved, path);
  });
  await writeImageFile(tree, path, content, mode);
}

/** Puts the host's resolv.conf in the image for the build; the image's own comes back after. */
async function swapResolvConf(stack: ResourceStack, root: string, log?: LogSink): Promise<void> {
  // resolv.conf.ORIG is DIB's name, which elements rely on.
  await swapImageFile(stack, { root, log }, 'etc/resolv.conf', hostResolvConf(), 0o644, '.ORIG');
}

function hostResolvConf(): string {
  try {
    return readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    return 'nameserver 8.8.8.8\n';
  }
}

/** Writes a policy-rc.d that forbids starting services, keeping any the image had. */
async function blockServices(stack: ResourceStack, root: string, log?: LogSink): Promise<void> {
  await swapImageFile(stack, { root, log }, 'usr/sbin/policy-rc.d', POLICY_RC_D, 0o755, '.kiln-orig');
}

/** PIDs of the processes `matches` accepts; processes that vanish or may not be inspected are skipped. */
export function findProcesses(matches: (pid: string) => boolean): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (matches(entry)) pids.push(Number(entry));
    } catch {
      // Gone already, or not ours to inspect.
    }
  }
  return pids;
}

/** PIDs of processes whose root directory is `root` or below it. */
function processesInside(root: string): number[] {
  return findProcesses((pid) => isAtOrBelow(readlinkSync(`/proc/${pid}/root`), root));
}

/** Stops the processes `find` returns: SIGTERM, a short wait, then SIGKILL; returns how many there were. */
export async function stopProcesses(find: () => number[], where: string, log?: LogSink): Promise<number> {
  const found = find().length;
  for (const signal of ['TERM', 'KILL'] as const) {
    const pids = find();
    if (!pids.length) break;
    log?.line('kiln', `stopping processes left ${where} with SIG${signal}: ${pids.join(' ')}`);
    await run(['kill', `-${signal}`, ...pids.map(String)], { privileged: true, log, allowFailure: true });
    for (let i = 0; i < 20 && find().length; i++) await sleep(100);
  }
  return found;
}

/** Stops processes still running inside `root`. */
async function killProcessesInside(root: string, log?: LogSink): Promise<void> {
  await stopProcesses(() => processesInside(root), `in ${root}`, log);
}

/** Prepares `root` for running commands inside it; everything is undone when `stack` unwinds. */
export async function enterChroot(stack: ResourceStack, root: string, log?: LogSink): Promise<void> {
  await mountKernelFilesystems(stack, root, log);
  await swapResolvConf(stack, root, log);
  await blockServices(stack, root, log);
  // Registered last so it runs first: nothing may hold the mounts when they are released.
  stack.defer(`stop processes inside ${root}`, () => killProcessesInside(root, log));
}

/** The environment a command inside the chroot starts with, whatever the host's is. */
export function chrootBaseEnv(): Record<string, string> {
  return {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: '/root',
    LANG: 'C.UTF-8',
    TERM: 'dumb',
    DEBIAN_FRONTEND: 'noninteractive',
  };
}

/** Runs argv inside `root` with exactly `env` (on top of chrootBaseEnv). */
export async function chrootRun(root: string, argv: string[], env: Record<string, string>, options: RunOptions = {}): Promise<RunResult> {
  const pairs = Object.entries({ ...chrootBaseEnv(), ...env }).map(([k, v]) => `${k}=${v}`);
  return run(['chroot', root, '/usr/bin/env', '-i', ...pairs, ...argv], { ...options, privileged: true });
}
