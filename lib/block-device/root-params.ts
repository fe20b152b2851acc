// The root filesystem parameters DIB merges into the config (blockdevice.py, "init"): only the
// node named `mkfs_root` receives them, and only for keys it does not set itself. So FS_TYPE,
// --root-label and --mkfs-options change the root filesystem of block-device-mbr and of the
// fallback config, not of layouts whose root node has another name. Pure.
import type { GraphEntry } from './yaml-tree.js';

/** Root filesystem parameters from the command line and environment. */
export interface RootParams {
  /** FS_TYPE; default ext4. */
  fsType?: string | undefined;
  /** --root-label; default cloudimg-rootfs (img-rootfs for xfs). */
  label?: string | undefined;
  /** --mkfs-options, as one string. */
  mkfsOptions?: string | undefined;
  /** --mkfs-journal-size / DIB_JOURNAL_SIZE in MiB (ext4 only); default 64. */
  journalMiB?: number | undefined;
  /** --max-online-resize: ext4 `-E resize=N` (blocks). */
  maxOnlineResize?: number | undefined;
}

/** Name of the node that receives the root parameters. */
const ROOT_MKFS_NODE = 'mkfs_root';

/** Default ext4 journal size in MiB (disk-image-create DIB_JOURNAL_SIZE). */
const DEFAULT_JOURNAL_MIB = 64;

/** The label DIB gives the root filesystem when none is set. */
function defaultRootLabel(fsType: string): string {
  return fsType === 'xfs' ? 'img-rootfs' : 'cloudimg-rootfs';
}

/** Root mkfs options as disk-image-create builds them: ext4 gets 4 KiB per inode and a sized journal. */
function rootMkfsOptions(fsType: string, root: RootParams): string {
  const user = root.mkfsOptions?.trim() ?? '';
  const parts: string[] = [];
  if (root.maxOnlineResize !== undefined && fsType.startsWith('ext')) parts.push(`-E resize=${root.maxOnlineResize}`);
  if (fsType === 'ext4') parts.push(`-i 4096 -J size=${root.journalMiB ?? DEFAULT_JOURNAL_MIB}`);
  if (user) parts.push(user);
  return parts.join(' ');
}

/** Fills type, label and opts of the `mkfs_root` entry where it lacks them (mutates `entries`). */
export function mergeRootParams(entries: GraphEntry[], root: RootParams): void {
  for (const entry of entries) {
    if (entry.type !== 'mkfs' || entry.params.name !== ROOT_MKFS_NODE) continue;
    const params = entry.params;
    if (params.type === undefined || params.type === null) params.type = root.fsType ?? 'ext4';
    const type = String(params.type);
    if (params.label === undefined || params.label === null) params.label = root.label ?? defaultRootLabel(type);
    if (params.opts === undefined || params.opts === null) {
      const opts = rootMkfsOptions(type, root);
      if (opts) params.opts = opts;
    }
  }
}
