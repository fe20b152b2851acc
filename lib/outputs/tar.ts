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
  pigz: 'pigz',
  gzip: 'gzip',
  // -T0: one thread per core; tar.zst is the fast modern tarball.
  zstd: 'zstd -T0',
};

/** argv of `tar` writing the archive of `root` to stdout. */
export function tarArgv(root: string, compression: TarCompression): string[] {
  return [
    'tar', '--create', '--file=-', `--directory=${root}`,
    // Owners by number: the image's /etc/passwd, not the host's, gives them names.
    '--numeric-owner',
    // security.capability (ping's cap_net_raw), SELinux labels and ACLs.
    '--xattrs', '--xattrs-include=*', '--acls',
    // Holes in sparse files stay holes; a stable member order makes archives comparable.
    '--sparse', '--sort=name',
    // Anchored: `proc/*` must not also drop e.g. ./usr/share/foo/proc/x. Position matters.
    '--anchored', ...TREE_EXCLUDES.map((pattern) => `--exclude=./${pattern}`),
    ...(compression === 'none' ? [] : [`--use-compress-program=${COMPRESSORS[compression]}`]),
    '.',
  ];
}
