// Which image architectures this machine can build: hooks run inside the image's chroot, so
// its programs must run here, natively (amd64 runs i386, arm64 runs armhf) or through a
// registered binfmt handler (qemu-user-static). `-a` with any other architecture is refused
// before anything starts, with the list that works here and how to get the others.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.js';

/** Node's name of the machine → Debian's. */
const NODE_ARCH: Record<string, string> = { x64: 'amd64', ia32: 'i386', arm64: 'arm64', arm: 'armhf', ppc64: 'ppc64el', s390x: 's390x' };
/** What a machine of each architecture runs without emulation. */
const NATIVE: Record<string, string[]> = { amd64: ['amd64', 'i386'], arm64: ['arm64', 'armhf'] };
/** binfmt_misc entry names qemu-user-static registers, per Debian architecture. */
const BINFMT: Record<string, string> = { amd64: 'qemu-x86_64', i386: 'qemu-i386', arm64: 'qemu-aarch64', armhf: 'qemu-arm', ppc64el: 'qemu-ppc64le', s390x: 'qemu-s390x' };

/** Architectures this machine runs (pure over the machine's architecture and binfmt entries). */
export function runnableArches(hostArch: string, hasBinfmt: (name: string) => boolean): string[] {
  const native = NATIVE[hostArch] ?? [hostArch];
  const emulated = Object.entries(BINFMT).filter(([arch, name]) => !native.includes(arch) && hasBinfmt(name)).map(([arch]) => arch);
  return [...native, ...emulated];
}

/** Debian's name of this machine's architecture. */
export function hostArch(): string {
  return NODE_ARCH[process.arch] ?? process.arch;
}

/** Refuses `arch` unless this machine can run its programs. */
export function checkTargetArch(arch: string, binfmtDir = '/proc/sys/fs/binfmt_misc'): void {
  const host = hostArch();
  const runnable = runnableArches(host, (name) => existsSync(join(binfmtDir, name)));
  if (runnable.includes(arch)) return;
  throw new UsageError(
    `-a ${arch}: this ${host} machine cannot run ${arch} programs, which the image's hooks run in its chroot; it can build ${runnable.join(', ')}`,
    `install qemu-user-static and binfmt-support to build ${arch} images here, or build on a ${arch} machine`,
  );
}
