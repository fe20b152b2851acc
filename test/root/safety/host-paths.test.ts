// A symlinked or a relative TMPDIR must not matter: the work folder's mounts are found and
// released, and nothing is ever removed through a bind mount (before kiln resolved TMPDIR, the
// mount table and the work folder's path disagreed, the unmounts were skipped, and the removal
// of the work folder walked into the bind-mounted cache folder and host /dev).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixtures, hostState, isRoot, kiln, start, type HostState } from '../../helpers/host.js';
import { hook, markerInBuild, mountsUnder, waitFor, workFolders, writeFlavour } from '../../helpers/hostile.js';

describe.skipIf(!isRoot)('host paths (root): symlinked and relative TMPDIR', () => {
  let base: string;
  let before: HostState;
  const canaries = (): string[] => readdirSync(join(base, 'cache/canary')).sort();

  beforeEach(() => {
    before = hostState();
    base = mkdtempSync(join(tmpdir(), 'kiln-paths-'));
    writeFlavour(join(base, 'flavours'), 'canary', {
      'cache-mounts': 'canary /var/cache/kiln-canary\n',
      'install.d/50-canary': hook('ls /var/cache/kiln-canary > /var/log/kiln-canary-seen\n[ -z "${DIB_CANARY_SLEEP:-}" ] || { touch /kiln-sleeping; sleep 300; }'),
    });
    mkdirSync(join(base, 'cache/canary'), { recursive: true });
    for (const name of ['keep-me', 'and-me']) writeFileSync(join(base, 'cache/canary', name), 'canary\n');
    mkdirSync(join(base, 'real-tmp'));
  });
  afterEach(() => {
    try {
      expect(hostState()).toEqual(before);
      expect(existsSync('/dev/null')).toBe(true);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });

  /** The build's arguments; `via` is a folder that leads to `base` (itself, or a symlink to it). */
  const args = (via = base): string[] => ['-n', '-t', 'tar', '-o', join(via, 'out/img'), '--flavours-path', `${fixtures}:${join(base, 'flavours')}`,
    '--image-cache', join(via, 'cache'), '--logfile', join(via, 'logs/build.log'), '--no-cache', 'fake-os', 'canary'];

  it('a TMPDIR behind a symlink (and -o, --image-cache and --logfile through one): the build works in the real folders and releases its bind mounts', async () => {
    symlinkSync(join(base, 'real-tmp'), join(base, 'tmp-link'));
    symlinkSync(base, join(base, 'base-link'));
    const result = await kiln('disk-image-create', args(join(base, 'base-link')), { TMPDIR: join(base, 'tmp-link') });
    expect(result.code, result.stderr).toBe(0);
    expect(readFileSync(join(base, 'logs/build.log'), 'utf8')).toContain('50-canary');
    expect(readdirSync(join(base, 'out')).filter((f) => f.includes('kiln-'))).toEqual([]);
    expect(execFileSync('tar', ['-xOf', join(base, 'out/img.tar'), './var/log/kiln-canary-seen']).toString()).toBe('and-me\nkeep-me\n');
    expect(canaries()).toEqual(['and-me', 'keep-me']);
    expect(mountsUnder(join(base, 'real-tmp'))).toEqual([]);
    expect(workFolders(join(base, 'real-tmp'))).toEqual([]);
  });

  it('a relative TMPDIR, build stopped by SIGTERM in the chroot: mounts released, canaries kept', async () => {
    const { child, done } = start('disk-image-create', args(), { TMPDIR: 'real-tmp', DIB_CANARY_SLEEP: "1" }, base);
    await waitFor(() => markerInBuild(join(base, 'real-tmp'), 'kiln-sleeping'), 'the canary hook to sleep in the chroot');
    expect(mountsUnder(join(base, 'real-tmp')).length).toBeGreaterThan(3);
    child.kill('SIGTERM');
    const result = await done;
    expect(result.code, result.stderr).toBe(143);
    expect(canaries()).toEqual(['and-me', 'keep-me']);
    expect(mountsUnder(join(base, 'real-tmp'))).toEqual([]);
    expect(workFolders(join(base, 'real-tmp'))).toEqual([]);
  });
});
