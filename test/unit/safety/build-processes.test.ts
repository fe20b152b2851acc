// The pure parts of tracking a build's processes: which cgroup hierarchy, kiln's own cgroup in
// it, the members of a cgroup, and the warning that names what was stopped.
import { describe, expect, it } from 'vitest';
import { cgroupIn, cgroupName, describeStragglers, isDeadBuild, listedPids, pickHierarchy } from '../../../lib/resources/build-processes.js';

const mountinfo = (...mounts: string[]): string => [
  '22 1 0:21 / / rw,relatime shared:1 - ext4 /dev/vda1 rw',
  ...mounts,
  '', // the file ends with a newline
].join('\n');
const V1_PIDS = '33 25 0:29 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids';
const V1_FREEZER = '30 25 0:26 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer';
const V1_CPU = '26 25 0:22 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct';
const V2 = '35 25 0:31 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw';
const V2_ONLY = '28 22 0:25 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate';

describe('pickHierarchy', () => {
  it('prefers v1 pids, then v1 freezer, then cgroup v2, and ignores other controllers', () => {
    expect(pickHierarchy(mountinfo(V1_CPU, V2, V1_FREEZER, V1_PIDS))).toEqual({ mountPoint: '/sys/fs/cgroup/pids', controller: 'pids' });
    expect(pickHierarchy(mountinfo(V1_CPU, V2, V1_FREEZER))).toEqual({ mountPoint: '/sys/fs/cgroup/freezer', controller: 'freezer' });
    expect(pickHierarchy(mountinfo(V1_CPU, V2))).toEqual({ mountPoint: '/sys/fs/cgroup/unified', controller: undefined });
    expect(pickHierarchy(mountinfo(V2_ONLY))).toEqual({ mountPoint: '/sys/fs/cgroup', controller: undefined });
  });

  it('finds none without a cgroup filesystem, and does not take a folder named pids for one', () => {
    expect(pickHierarchy(mountinfo(V1_CPU))).toBeUndefined();
    expect(pickHierarchy(mountinfo('40 22 0:40 / /srv/pids rw - tmpfs pids rw,size=1k'))).toBeUndefined();
  });

  it('decodes an escaped mount point', () => {
    expect(pickHierarchy(mountinfo('33 25 0:29 / /cg\\040pids rw - cgroup cgroup rw,pids'))?.mountPoint).toBe('/cg pids');
  });
});

describe('cgroupIn', () => {
  const own = ['12:pids:/user.slice/user-1000.slice/session-3.scope', '6:freezer:/', '4:memory:/x', '1:name=systemd:/user.slice', '0::/user.slice/user-1000.slice/session-3.scope', ''].join('\n');
  it('reads the line of the hierarchy\'s controller, or the v2 line', () => {
    expect(cgroupIn(own, { mountPoint: '/sys/fs/cgroup/pids', controller: 'pids' })).toBe('/user.slice/user-1000.slice/session-3.scope');
    expect(cgroupIn(own, { mountPoint: '/sys/fs/cgroup/freezer', controller: 'freezer' })).toBe('/');
    expect(cgroupIn(own, { mountPoint: '/sys/fs/cgroup', controller: undefined })).toBe('/user.slice/user-1000.slice/session-3.scope');
  });

  it('finds a controller mounted together with others, and nothing for one the process lacks', () => {
    expect(cgroupIn('5:freezer,pids:/kiln/build-1-ab\n', { mountPoint: '/x', controller: 'pids' })).toBe('/kiln/build-1-ab');
    expect(cgroupIn('4:memory:/x\n', { mountPoint: '/x', controller: 'pids' })).toBeUndefined();
  });
});

describe('listedPids', () => {
  it('lists every pid but kiln\'s own', () => {
    expect(listedPids('17\n42\n4242\n', 42)).toEqual([17, 4242]);
    expect(listedPids('', 42)).toEqual([]);
  });
});

describe('describeStragglers', () => {
  it('names one process or several, by pid and quoted command, in one line', () => {
    expect(describeStragglers([{ pid: 7, argv: ['sleep', '31391'] }])).toBe('stopped a process the build started and left running: 7 sleep 31391');
    expect(describeStragglers([{ pid: 7, argv: ['sh', '-c', 'sleep 9 &'] }, { pid: 8, argv: [] }]))
      .toBe("stopped 2 processes the build started and left running: 7 sh -c 'sleep 9 &'; 8 (no command line: exited)");
  });

  it('escapes control characters and newlines, and shortens a long command', () => {
    const line = describeStragglers([{ pid: 9, argv: ['evil\u001b[2J', 'a\nb'] }, { pid: 10, argv: ['x'.repeat(200)] }]);
    expect(line).not.toMatch(/[\u0000-\u001f]/);
    expect(line).toContain('\\x1b[2J');
    expect(line).toContain('a\\nb');
    expect(line).toContain(`10 ${'x'.repeat(80)}…`);
  });
});

describe('isDeadBuild', () => {
  const self = { uid: 1000, pidNamespace: 4026531836 };
  const name = cgroupName({ ...self, pid: 4242 }, 'ab12cd34ef56');
  const gone = { ageMs: 1000, kilnExists: () => false };
  it('names the cgroup by user, pid namespace, kiln pid and a random part', () => {
    expect(name).toBe('build-1000-4026531836-4242-ab12cd34ef56');
  });

  it('is a dead build of this user when its kiln left it and no longer runs, or left it over a minute ago', () => {
    expect(isDeadBuild(name, [], self, gone)).toBe(true);
    expect(isDeadBuild(name, [77], self, gone)).toBe(true);
    expect(isDeadBuild(name, [77], self, { ageMs: 61_000, kilnExists: () => true })).toBe(true);
  });

  it('leaves a live build alone: its kiln is in it, or may be about to move in', () => {
    expect(isDeadBuild(name, [4242, 77], self, gone)).toBe(false);
    expect(isDeadBuild(name, [], self, { ageMs: 1000, kilnExists: (pid) => pid === 4242 })).toBe(false);
  });

  it('never judges another user\'s cgroup, one made in another pid namespace, or a folder kiln did not name', () => {
    expect(isDeadBuild(name, [], { ...self, uid: 0 }, gone)).toBe(false);
    expect(isDeadBuild(name, [], { ...self, pidNamespace: 4026532000 }, gone)).toBe(false);
    expect(isDeadBuild('user.slice', [], self, gone)).toBe(false);
    expect(isDeadBuild('build-1000-4026531836-4242-zz', [], self, gone)).toBe(false);
  });
});
