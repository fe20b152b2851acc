// The fixed part of every ramdisk tree: the image's merged-/usr links (so paths inside the
// ramdisk match the image's), the mount points /init uses, a root account for the shell, and
// /bin/sh pointing at busybox (the kernel starts /init with it; /init links the other applets).
import { mkdir, symlink, chmod } from 'node:fs/promises';
import { posix } from 'node:path';
import { resolveInRoot, type RootView } from './root-view.js';
import { exists, inTree, MERGED_USR_LINKS, writeTreeFile } from './staging.js';

const DIRS: readonly [string, number][] = [
  ['/dev', 0o755], ['/proc', 0o555], ['/sys', 0o555], ['/run', 0o755], ['/tmp', 0o1777], ['/etc', 0o755],
  ['/root', 0o700], ['/mnt', 0o755], ['/var', 0o755], ['/usr/bin', 0o755], ['/usr/sbin', 0o755],
];

/** Writes the skeleton; `busybox` is busybox's path in the image (e.g. /usr/bin/busybox). */
export async function writeSkeleton(view: RootView, tree: string, busybox: string): Promise<void> {
  await mkdir(tree, { recursive: true });
  for (const name of MERGED_USR_LINKS) {
    const path = `/${name}`;
    const stat = view.stat(path);
    if (stat?.kind === 'link') await symlink(view.readlink(path), inTree(tree, path));
    else if (name === 'bin' || name === 'sbin' || name === 'lib') await mkdir(inTree(tree, path), { recursive: true });
  }
  for (const [dir, mode] of DIRS) {
    await mkdir(inTree(tree, dir), { recursive: true });
    await chmod(inTree(tree, dir), mode);
  }
  await writeTreeFile(tree, '/etc/passwd', 'root:x:0:0:root:/root:/bin/sh\n', 0o644);
  await writeTreeFile(tree, '/etc/group', 'root:x:0:\ntty:x:5:\n', 0o644);
  await writeTreeFile(tree, '/etc/shells', '/bin/sh\n', 0o644);
  const target = resolveInRoot(view, busybox)?.path ?? busybox;
  if (!(await exists(inTree(tree, '/bin/sh')))) await symlink(target, inTree(tree, '/bin/sh'));
  await mkdir(posix.dirname(inTree(tree, '/usr/share/kiln/')), { recursive: true });
}
