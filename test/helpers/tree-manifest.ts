// A description of a file tree that two unpackings of one image must share: every path with its
// type, mode, numeric owner, link count, symlink target, modification time, device numbers,
// contents (sha256) and extended attributes (file capabilities, ACLs, SELinux labels). Reads
// root-owned trees, so it runs as root (test/root, test/e2e).
import { execFileSync } from 'node:child_process';

const run = (argv: string[], cwd: string): string => execFileSync(argv[0]!, argv.slice(1), { cwd, maxBuffer: 1 << 30 }).toString();

/** One line per path, sorted: `path type mode uid:gid links target mtime [major:minor] [sha256]`, then the xattr dump. */
export function treeManifest(root: string, options: { skipDirTimes?: boolean } = {}): string[] {
  const entries = run(['find', '.', '-mindepth', '1', '-printf', '%P\\t%y\\t%#m\\t%U:%G\\t%n\\t%l\\t%T@\\n'], root).split('\n').filter(Boolean);
  const devices = new Map(run(['find', '.', '-mindepth', '1', '(', '-type', 'b', '-o', '-type', 'c', ')', '-exec', 'stat', '-c', '%n\t%t:%T', '{}', '+'], root)
    .split('\n').filter(Boolean).map((l) => l.split('\t') as [string, string]).map(([n, d]) => [n.replace(/^\.\//, ''), d]));
  const sums = new Map(run(['find', '.', '-type', 'f', '-exec', 'sha256sum', '{}', '+'], root)
    .split('\n').filter(Boolean).map((l) => [l.slice(66).replace(/^\.\//, ''), l.slice(0, 64)]));
  const lines = entries.map((line) => {
    const [path, type, ...rest] = line.split('\t') as [string, string, ...string[]];
    const fields = type === 'd' && options.skipDirTimes ? rest.slice(0, -1) : rest;
    return [path, type, ...fields, devices.get(path) ?? '', sums.get(path) ?? ''].join('\t');
  });
  // -h, -P: a symlink's own attributes, never its target's (image symlinks point into the image);
  // security.*, system.posix_acl_* and user.* included.
  const xattrs = run(['getfattr', '--no-dereference', '--recursive', '--physical', '--dump', '--match=-', '--encoding=hex', '.'], root)
    .split('\n\n').map((block) => block.trim()).filter(Boolean).sort();
  return [...lines.sort(), ...xattrs];
}
