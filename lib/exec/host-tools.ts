// Host tools: which Debian package provides each, which ones a build needs (pure, from what the
// plan uses), and one check that reports every missing tool at once, before the build touches
// anything (mkosi's check_tool(..., reason=...); DIB only finds out halfway through).
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { MissingToolsError } from '../errors.js';

/** Tool → Debian (bookworm) package that ships it. */
export const TOOL_PACKAGES: Readonly<Record<string, string>> = {
  // Mounts, loop devices, chroot.
  mount: 'mount', umount: 'mount', losetup: 'mount', chroot: 'coreutils', du: 'coreutils', cp: 'coreutils',
  partx: 'util-linux', blockdev: 'util-linux', wipefs: 'util-linux', fstrim: 'util-linux', findmnt: 'util-linux', blkid: 'util-linux',
  mkswap: 'util-linux', sudo: 'sudo', bash: 'bash', find: 'findutils', depmod: 'kmod',
  // Partition tables and filesystems.
  sfdisk: 'fdisk', sgdisk: 'gdisk',
  'mkfs.ext2': 'e2fsprogs', 'mkfs.ext3': 'e2fsprogs', 'mkfs.ext4': 'e2fsprogs', e2fsck: 'e2fsprogs', tune2fs: 'e2fsprogs',
  resize2fs: 'e2fsprogs', debugfs: 'e2fsprogs', dumpe2fs: 'e2fsprogs',
  'mkfs.xfs': 'xfsprogs', 'mkfs.btrfs': 'btrfs-progs', 'mkfs.vfat': 'dosfstools', 'fsck.vfat': 'dosfstools',
  mcopy: 'mtools', mmd: 'mtools', setpriv: 'util-linux',
  // Archives and compression.
  tar: 'tar', gzip: 'gzip', pigz: 'pigz', zstd: 'zstd', xz: 'xz-utils', cpio: 'cpio', mksquashfs: 'squashfs-tools',
  unsquashfs: 'squashfs-tools',
  // Image conversion and boot tests.
  'qemu-img': 'qemu-utils', 'qemu-system-x86_64': 'qemu-system-x86',
  // Container images (cloud-image reads them without a container engine).
  skopeo: 'skopeo', umoci: 'umoci',
  // Bootstrapping the Debian root.
  mmdebstrap: 'mmdebstrap', debootstrap: 'debootstrap', eatmydata: 'eatmydata',
  // Static, so it runs in a bare chroot (the fake-os test flavour, ramdisks).
  busybox: 'busybox-static',
  // Image side: run inside the chroot, so the package goes into the image, not onto the host.
  'grub-install': 'grub2-common', setcap: 'libcap2-bin',
};

/** The Debian package of `tool` (its own name when the table does not know it). */
export function debianPackage(tool: string): string {
  return TOOL_PACKAGES[tool] ?? tool;
}

/** Things a build can use that need host tools. */
export type ToolFeature =
  | 'chroot' // chroot-phase hooks: kernel filesystems mounted into the root
  | 'hooks' // hook scripts run with bash
  | 'sudo' // kiln runs as an ordinary user
  | 'layer-cache' // cached root layers as tar.zst
  | 'debian-bootstrap' // mmdebstrap, or debootstrap when it is missing
  | 'disk-image' // loop devices, partition tables, filesystems mounted and copied into
  | 'gpt' // GPT attributes
  | 'boot-test' // booting the image under QEMU
  | 'ramdisk'; // cpio archive of a ramdisk tree

/** What a build uses, as far as host tools are concerned. */
export interface ToolNeeds {
  /** Output formats (-t) with the tools each runs (outputs/registry.ts OUTPUT_FORMATS entries). */
  formats?: readonly { name: string; tools: readonly string[]; anyOf: readonly (readonly string[])[] }[];
  /** Filesystem types the layout makes (ext4, xfs, btrfs, vfat, swap, ...). */
  filesystems?: readonly string[];
  features?: readonly ToolFeature[];
  /** Any other tool → why it is needed. */
  tools?: Map<string, string>;
  /** Groups where one tool is enough, the preferred one first. */
  anyOf?: { tools: string[]; reason: string }[];
}

/** One tool the build needs, and why; `alternatives` would do as well. */
export interface RequiredTool {
  tool: string;
  debianPackage: string;
  reason: string;
  alternatives?: { tool: string; debianPackage: string }[];
}

type Rule = { tools?: readonly string[]; anyOf?: readonly (readonly string[])[]; reason: string };

const FEATURES: Readonly<Record<ToolFeature, Rule>> = {
  chroot: { tools: ['mount', 'umount', 'chroot'], reason: 'to run chroot-phase hooks inside the image' },
  hooks: { tools: ['bash'], reason: 'to run hooks' },
  sudo: { tools: ['sudo'], reason: 'to run privileged steps as an ordinary user' },
  'layer-cache': { tools: ['tar', 'zstd'], reason: 'to store and restore cached root layers' },
  'debian-bootstrap': { anyOf: [['mmdebstrap', 'debootstrap']], reason: 'to bootstrap the Debian root' },
  'disk-image': { tools: ['losetup', 'partx', 'sfdisk', 'mount', 'umount', 'fstrim'], reason: 'to build the partitioned disk image' },
  gpt: { tools: ['sgdisk'], reason: 'for the GPT partition table' },
  'boot-test': { tools: ['qemu-system-x86_64'], reason: 'to boot-test the image' },
  ramdisk: { tools: ['cpio'], reason: 'to pack the ramdisk' },
};

const FILESYSTEMS: Readonly<Record<string, string[]>> = {
  ext2: ['mkfs.ext2'], ext3: ['mkfs.ext3'], ext4: ['mkfs.ext4'], xfs: ['mkfs.xfs'], btrfs: ['mkfs.btrfs'],
  // FAT cannot be mounted on kernels without vfat: it is filled with mtools.
  vfat: ['mkfs.vfat', 'mcopy', 'mmd'], swap: ['mkswap'],
};

/** Every rule that applies to `needs`, in a stable order. */
function rulesFor(needs: ToolNeeds): Rule[] {
  const rules: Rule[] = (needs.features ?? []).map((f) => FEATURES[f]);
  for (const format of needs.formats ?? []) rules.push({ tools: format.tools, anyOf: format.anyOf, reason: `for the ${format.name} output` });
  for (const fs of needs.filesystems ?? []) rules.push({ tools: FILESYSTEMS[fs] ?? [`mkfs.${fs}`], reason: `for the ${fs} filesystem` });
  for (const [tool, reason] of needs.tools ?? []) rules.push({ tools: [tool], reason });
  for (const group of needs.anyOf ?? []) rules.push({ anyOf: [group.tools], reason: group.reason });
  return rules;
}

/** The tools to check for `needs`, each once (first reason wins), with its package (pure). */
export function requiredTools(needs: ToolNeeds): RequiredTool[] {
  const out = new Map<string, RequiredTool>();
  for (const rule of rulesFor(needs)) {
    for (const tool of rule.tools ?? []) {
      if (!out.has(tool)) out.set(tool, { tool, debianPackage: debianPackage(tool), reason: rule.reason });
    }
    for (const [first, ...rest] of rule.anyOf ?? []) {
      if (first === undefined || out.has(first)) continue;
      const alternatives = rest.map((tool) => ({ tool, debianPackage: debianPackage(tool) }));
      out.set(first, { tool: first, debianPackage: debianPackage(first), reason: rule.reason, alternatives });
    }
  }
  return [...out.values()];
}

/** Folders searched besides PATH: sbin is often missing from an ordinary user's PATH. */
const TOOL_DIRS: readonly string[] = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** Absolute path of `tool` on PATH or in the system folders, or undefined. */
export function findTool(tool: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of [...path.split(':').filter(Boolean), ...TOOL_DIRS]) {
    const candidate = join(dir, tool);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

/** True if `tool` is an executable on PATH or in the system folders. */
export function haveTool(tool: string, path?: string): boolean {
  return findTool(tool, path) !== undefined;
}

/** The required tools that are missing (an alternative that exists satisfies its tool). */
export function missingTools(required: readonly RequiredTool[], have: (tool: string) => boolean = haveTool): RequiredTool[] {
  return required.filter((t) => !have(t.tool) && !(t.alternatives ?? []).some((a) => have(a.tool)));
}

/** Throws MissingToolsError listing every missing tool with its package, all at once. */
export function checkTools(required: readonly RequiredTool[], have: (tool: string) => boolean = haveTool): void {
  const missing = missingTools(required, have).map((t) => ({
    tool: t.alternatives?.length ? `${t.tool} (or ${t.alternatives.map((a) => a.tool).join(', ')})` : t.tool,
    debianPackage: t.debianPackage,
    reason: t.reason,
  }));
  if (missing.length) throw new MissingToolsError(missing);
}
