// The programs kiln runs as root when it is started by an ordinary user. sudoers.d/kiln grants
// these (a lint test keeps the two in step) and run() refuses to run anything else through sudo,
// so the list cannot silently drift. The list keeps kiln honest; it does not confine anyone:
// with any arguments, mount, chroot, tar, cp and the rest are root, so membership of group kiln
// is root (as diskimage-builder's passwordless sudo is). Users who must not be root use --vm.
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';

/** Programs kiln may run through `sudo -n`: absolute path on Debian 12 (what sudoers matches) and why. */
export const PRIVILEGED_PROGRAMS: Readonly<Record<string, { path: string; why: string }>> = {
  mount: { path: '/usr/bin/mount', why: 'kernel filesystems, the hook tree and disk partitions' },
  umount: { path: '/usr/bin/umount', why: 'releasing every mount' },
  chroot: { path: '/usr/sbin/chroot', why: 'running chroot-phase hooks inside the image' },
  mkdir: { path: '/usr/bin/mkdir', why: 'folders inside the root-owned image tree' },
  install: { path: '/usr/bin/install', why: 'creating files with their modes in the image tree' },
  tee: { path: '/usr/bin/tee', why: 'writing file contents into the image tree' },
  mv: { path: '/usr/bin/mv', why: 'resolv.conf and policy-rc.d swaps' },
  rm: { path: '/usr/bin/rm', why: 'removing the root-owned work tree' },
  rmdir: { path: '/usr/bin/rmdir', why: 'removing the build\'s cgroup (rm -d refuses a cgroup folder: it is never empty)' },
  cp: { path: '/usr/bin/cp', why: 'copying the tree into the disk image filesystems' },
  ln: { path: '/usr/bin/ln', why: 'enabling the first-boot unit' },
  chown: { path: '/usr/bin/chown', why: 'handing outputs back to the invoking user' },
  kill: { path: '/usr/bin/kill', why: 'stopping processes left inside the chroot or in the build\'s cgroup' },
  tar: { path: '/usr/bin/tar', why: 'archiving and unpacking root-owned trees' },
  mksquashfs: { path: '/usr/bin/mksquashfs', why: 'squashfs output of the root-owned tree' },
  losetup: { path: '/usr/sbin/losetup', why: 'attaching disk images to loop devices' },
  partx: { path: '/usr/bin/partx', why: 'creating and removing partition devices' },
  blockdev: { path: '/usr/sbin/blockdev', why: 'flushing loop devices' },
  sfdisk: { path: '/usr/sbin/sfdisk', why: 'writing partition tables' },
  sgdisk: { path: '/usr/sbin/sgdisk', why: 'GPT partition attributes' },
  wipefs: { path: '/usr/sbin/wipefs', why: 'clearing stale signatures' },
  'mkfs.ext2': { path: '/usr/sbin/mkfs.ext2', why: 'filesystems' },
  'mkfs.ext3': { path: '/usr/sbin/mkfs.ext3', why: 'filesystems' },
  'mkfs.ext4': { path: '/usr/sbin/mkfs.ext4', why: 'filesystems' },
  'mkfs.xfs': { path: '/usr/sbin/mkfs.xfs', why: 'filesystems' },
  'mkfs.btrfs': { path: '/usr/sbin/mkfs.btrfs', why: 'filesystems' },
  'mkfs.vfat': { path: '/usr/sbin/mkfs.vfat', why: 'filesystems' },
  mkswap: { path: '/usr/sbin/mkswap', why: 'swap partitions' },
  mcopy: { path: '/usr/bin/mcopy', why: 'filling FAT filesystems without mounting them' },
  mmd: { path: '/usr/bin/mmd', why: 'folders in FAT filesystems' },
  fstrim: { path: '/usr/sbin/fstrim', why: 'discarding unused blocks before conversion' },
  e2fsck: { path: '/usr/sbin/e2fsck', why: 'checking ext filesystems' },
  mmdebstrap: { path: '/usr/bin/mmdebstrap', why: 'bootstrapping the Debian root (debian flavour)' },
  debootstrap: { path: '/usr/sbin/debootstrap', why: 'bootstrapping the Debian root when mmdebstrap is missing (debian flavour)' },
  du: { path: '/usr/bin/du', why: 'measuring the root-owned tree for the image size' },
  find: { path: '/usr/bin/find', why: 'emptying and cleaning the root-owned image tree (debian flavour)' },
  umoci: { path: '/usr/bin/umoci', why: 'unpacking a container image into the root-owned tree (cloud-image flavour)' },
};

/** Folders searched for privileged programs: sudo matches absolute paths. */
const SYSTEM_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** True if `program` is on kiln's list. */
export function isPrivilegedProgram(program: string): boolean {
  return Object.hasOwn(PRIVILEGED_PROGRAMS, program);
}

/** Absolute path of `program`: kiln's list first, then the system folders, else the name unchanged. */
export function systemPath(program: string): string {
  if (program.includes('/')) return program;
  const listed = PRIVILEGED_PROGRAMS[program];
  if (listed) return listed.path;
  for (const dir of SYSTEM_DIRS) {
    try {
      accessSync(join(dir, program), constants.X_OK);
      return join(dir, program);
    } catch {
      // try the next folder
    }
  }
  return program;
}
