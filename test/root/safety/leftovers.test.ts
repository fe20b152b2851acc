// The leftover cleaner clears only what is provably kiln's and provably dead: a look-alike
// folder owned by another user, and the folder of a live build in another pid namespace (whose
// pid means nothing here), are left alone, while an abandoned folder of ours is cleared.
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { selfIdentity } from '../../../lib/resources/process-identity.js';
import { OWNER_MARKER } from '../../../lib/resources/temp-dir.js';
import { bin, fixtures, hostState, isRoot, kiln, start, type HostState } from '../../helpers/host.js';
import { waitFor } from '../../helpers/hostile.js';

/** The pid outside its namespace of the process that is `innerPid` in a child pid namespace. */
function outerPid(innerPid: number): number | undefined {
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const ns = /^NSpid:\s+(.*)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]?.split(/\s+/).map(Number) ?? [];
      if (ns.length === 2 && ns[1] === innerPid) return Number(pid);
    } catch {
      // gone
    }
  }
  return undefined;
}

const alive = (pid: number): boolean => existsSync(`/proc/${pid}`);

describe.skipIf(!isRoot)('the leftover cleaner (root)', () => {
  let base: string;
  let tmp: string;
  let before: HostState;
  beforeEach(() => {
    before = hostState();
    base = mkdtempSync(join(tmpdir(), 'kiln-leftovers-'));
    tmp = join(base, 'tmp');
    mkdirSync(tmp);
  });
  afterEach(() => {
    try {
      expect(hostState()).toEqual(before);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });

  const build = (extra: Record<string, string> = {}) => kiln('disk-image-create', ['-n', '-t', 'tar', '-o', join(base, 'out/img'),
    '--flavours-path', fixtures, '--image-cache', join(base, 'cache'), '--no-cache', 'fake-os'], { TMPDIR: tmp, ...extra });

  /** A folder that looks like a dead kiln build's: private, marked by a process that is gone. */
  const deadFolder = (name: string, uid = 0): string => {
    const path = join(tmp, name);
    mkdirSync(join(path, 'root'), { recursive: true, mode: 0o700 });
    writeFileSync(join(path, 'root/canary'), 'canary\n');
    writeFileSync(join(path, OWNER_MARKER), JSON.stringify({ ...selfIdentity(), pid: Number(name.split('.')[1]), startTicks: 1 }));
    chownSync(path, uid, uid);
    return path;
  };

  it('clears an abandoned folder of ours, and leaves a look-alike of another user alone', async () => {
    const ours = deadFolder('kiln-build.999998.abcdef');
    const theirs = deadFolder('kiln-build.999997.ghijkl', 65534);
    const result = await build();
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`cleared ${ours}, left by kiln process 999998`);
    expect(existsSync(ours)).toBe(false);
    expect(readFileSync(join(theirs, 'root/canary'), 'utf8')).toBe('canary\n');
    expect(result.stderr).not.toContain(theirs);
  });

  it('leaves the folder of a live build in another pid namespace alone', async () => {
    // Enough processes first that the inner build's pid is one that does not exist out here (and
    // `; exit` keeps bash from exec'ing the build, which would make it pid 1).
    const inner = start('/usr/bin/unshare', ['--pid', '--fork', '--mount-proc', 'bash', '-c',
      `for i in $(seq 400); do /bin/true; done; "$0" "$@"; exit $?`, bin('disk-image-create'), '-n', '-t', 'tar', '--no-tmpfs', '-o', join(base, 'inner/img'),
      '--flavours-path', fixtures, '--image-cache', join(base, 'cache'), '--no-cache', 'fake-os', 'probe'],
    { TMPDIR: tmp, KILN_PROBE_OUT: join(base, 'probe'), KILN_PROBE_SLEEP: 'install', KILN_PROBE_SLEEP_MARK: '/tmp/kiln-sleeping' });
    const folder = (): string | undefined => readdirSync(tmp).find((n) => n.startsWith('kiln-build.'));
    let innerPid = 0;
    try {
      await waitFor(() => folder() !== undefined && existsSync(join(tmp, folder()!, 'root/tmp/kiln-sleeping')), 'the build in the other pid namespace to sleep');
      const name = folder()!;
      innerPid = Number(name.split('.')[1]);
      expect(innerPid).toBeGreaterThan(400);
      expect(alive(innerPid)).toBe(false);
      const result = await build();
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).not.toContain(name);
      expect(existsSync(join(tmp, name, 'root/tmp/kiln-sleeping'))).toBe(true);
    } finally {
      const outer = innerPid ? outerPid(innerPid) : undefined;
      if (outer) process.kill(outer, 'SIGTERM');
      else inner.child.kill('SIGKILL');
    }
    expect((await inner.done).code).toBe(143);
    expect(readdirSync(tmp)).toEqual([]);
  });
});
