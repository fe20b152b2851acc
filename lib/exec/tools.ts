// Host tools: which Debian package provides each, which ones a plan needs, and one check that
// reports every missing tool at once before the build touches anything.
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { MissingToolsError } from '../errors.js';

/** Tool → Debian package. */
export const TOOL_PACKAGES: Readonly<Record<string, string>> = {
  mount: 'mount', umount: 'mount', losetup: 'mount', chroot: 'coreutils', tar: 'tar', zstd: 'zstd', pigz: 'pigz', gzip: 'gzip',
  mksquashfs: 'squashfs-tools', 'qemu-img': 'qemu-utils', 'qemu-system-x86_64': 'qemu-system-x86', sfdisk: 'fdisk', sgdisk: 'gdisk',
  partx: 'util-linux', blockdev: 'util-linux', wipefs: 'util-linux', fstrim: 'util-linux',
  'mkfs.ext4': 'e2fsprogs', 'mkfs.ext3': 'e2fsprogs', 'mkfs.ext2': 'e2fsprogs', e2fsck: 'e2fsprogs', 'mkfs.xfs': 'xfsprogs',
  'mkfs.btrfs': 'btrfs-progs', 'mkfs.vfat': 'dosfstools', mkswap: 'util-linux', mcopy: 'mtools', mmd: 'mtools',
  mmdebstrap: 'mmdebstrap', debootstrap: 'debootstrap', cpio: 'cpio', sudo: 'sudo', find: 'findutils', bash: 'bash',
};

/** One tool the plan needs, and why. */
export interface RequiredTool {
  tool: string;
  debianPackage: string;
  reason: string;
}

/** What a plan uses, as far as host tools are concerned. */
export interface ToolNeeds {
  /** Tool name → why it is needed. */
  tools: Map<string, string>;
  /** Alternatives: at least one of each group must exist (mmdebstrap or debootstrap). */
  anyOf: { tools: string[]; reason: string }[];
}

/** The tools to check for `needs`, each with its package (pure). */
export function requiredTools(needs: ToolNeeds): { all: RequiredTool[]; anyOf: { tools: RequiredTool[]; reason: string }[] } {
  const describe = (tool: string, reason: string): RequiredTool => ({ tool, debianPackage: TOOL_PACKAGES[tool] ?? tool, reason });
  return {
    all: [...needs.tools.entries()].map(([tool, reason]) => describe(tool, reason)),
    anyOf: needs.anyOf.map((group) => ({ reason: group.reason, tools: group.tools.map((t) => describe(t, group.reason)) })),
  };
}

const SEARCH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** True if `tool` is an executable on PATH or in the system folders. */
export function haveTool(tool: string, path = process.env.PATH ?? ''): boolean {
  for (const dir of [...path.split(':').filter(Boolean), ...SEARCH]) {
    try {
      accessSync(join(dir, tool), constants.X_OK);
      return true;
    } catch {
      // keep looking
    }
  }
  return false;
}

/** Throws MissingToolsError listing every missing tool (and unmet alternatives). */
export function checkTools(required: ReturnType<typeof requiredTools>, have: (tool: string) => boolean = haveTool): void {
  const missing = required.all.filter((t) => !have(t.tool));
  for (const group of required.anyOf) {
    if (!group.tools.some((t) => have(t.tool))) missing.push(group.tools[0]!);
  }
  if (missing.length) throw new MissingToolsError(missing);
}
