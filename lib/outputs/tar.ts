// GNU tar command lines for the tarball outputs (pure). The archive goes to stdout so kiln, not
// root, creates the output file; tar itself runs as root to read the root-owned tree.

/** How a tarball is compressed. */
export type TarCompression = 'none' | 'pigz' | 'gzip' | 'zstd';

/**
 * Paths left out of every tree output, relative to the root. The folders proc, sys and dev/pts
 * stay (the image mounts over them) but not their contents: never the host's kernel state.
 * /tmp/in_target.d is where kiln bind-mounts the hook tree during the build.
 */
export const TREE_EXCLUDES: readonly string[] = ['proc/*', 'sys/*', 'dev/pts/*', 'tmp/in_target.d'];

/** The compression a tarball format uses: pigz when installed (parallel gzip), else gzip. */
export function tarCompression(format: string, havePigz: boolean): TarCompression {
  if (format === 'tgz') return havePigz ? 'pigz' : 'gzip';
  if (format === 'tar.zst') return 'zstd';
  return 'none';
}

const COMPRESSORS: Record<Exclude<TarCompression, 'none'>, string> = {
  // -n: no file name and no time stamp in the gzip header (the same bytes from the same input).
  pigz: 'pigz -n',
  gzip: 'gzip -n',
  // -T0: one thread per core; tar.zst is the fast modern tarball.
  zstd: 'zstd -T0',
};

/**
 * GNU tar options that make an archive a function of the tree alone (reproducible-builds.org's
 * "archive metadata" recipe): members in name order, owners by number (the image's /etc/passwd,
 * not the host's, names them), modification times clamped to `epoch`, and pax headers without
 * the access and change times (which differ on every copy) or the tar process id (the default
 * extended-header name is `%d/PaxHeaders.%p/%f`). Sparse files in the pax 0.0 form: 1.0 renames
 * the member to `GNUSparseFile.<pid>/NAME`. Shared by every tar kiln writes.
 */
function reproducibleTarFlags(epoch: number): string[] {
  return [
    '--format=pax', '--sort=name', '--numeric-owner',
    `--mtime=@${epoch}`, '--clamp-mtime',
    '--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime',
    '--sparse', '--sparse-version=0.0',
  ];
}

/** argv of `tar` writing the archive of `root` to stdout, reproducible for `epoch` (SOURCE_DATE_EPOCH). */
export function tarArgv(root: string, compression: TarCompression, epoch: number): string[] {
  return [
    'tar', '--create', '--file=-', `--directory=${root}`,
    ...reproducibleTarFlags(epoch),
    // security.capability (ping's cap_net_raw), SELinux labels and ACLs.
    '--xattrs', '--xattrs-include=*', '--acls',
    // Anchored: `proc/*` must not also drop e.g. ./usr/share/foo/proc/x. Position matters.
    '--anchored', ...TREE_EXCLUDES.map((pattern) => `--exclude=./${pattern}`),
    ...(compression === 'none' ? [] : [`--use-compress-program=${COMPRESSORS[compression]}`]),
    '.',
  ];
}
