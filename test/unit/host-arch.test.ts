// -a is refused for architectures this machine cannot run (the image's hooks run in its chroot),
// with the list it can build and how to get more; --max-online-resize and --mkfs-journal-size
// reach the root filesystem's mkfs options.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildRequest } from '../../lib/config/parse-options.js';
import { resolveDisk } from '../../lib/plan/disk-plan.js';
import { checkTargetArch, hostArch, runnableArches } from '../../lib/exec/host-arch.js';
import { loadAndPlan } from '../../lib/plan/load-flavours.js';
import { hook, tempDir, writeTree } from '../helpers/tree.js';

describe('architectures this machine can build', () => {
  it('native ones, plus those with a binfmt handler (qemu-user-static)', () => {
    expect(runnableArches('amd64', () => false)).toEqual(['amd64', 'i386']);
    expect(runnableArches('amd64', (name) => name === 'qemu-aarch64')).toEqual(['amd64', 'i386', 'arm64']);
    expect(runnableArches('arm64', () => false)).toEqual(['arm64', 'armhf']);
    expect(runnableArches('s390x', () => false)).toEqual(['s390x']);
  });

  it('refuses the others, listing what works and what to install', () => {
    const tmp = tempDir();
    try {
      expect(() => checkTargetArch(hostArch(), tmp.path)).not.toThrow();
      const foreign = hostArch() === 's390x' ? 'ppc64el' : 's390x';
      expect(() => checkTargetArch(foreign, tmp.path)).toThrow(new RegExp(`-a ${foreign}: this ${hostArch()} machine cannot run ${foreign} programs.*it can build ${hostArch()}`));
      writeFileSync(join(tmp.path, foreign === 's390x' ? 'qemu-s390x' : 'qemu-ppc64le'), 'enabled\n');
      expect(() => checkTargetArch(foreign, tmp.path)).not.toThrow();
    } finally {
      tmp.cleanup();
    }
  });
});

describe('root filesystem options', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
    writeTree(tmp.path, { 'fl/os/flavour-provides': 'operating-system\n', 'fl/os/root.d/10-os': hook() });
    mkdirSync(join(tmp.path, 'cache'));
  });
  afterEach(() => tmp.cleanup());

  it('--max-online-resize and --mkfs-journal-size reach mkfs of the root (ext4)', () => {
    const plan = loadAndPlan(buildRequest('disk', ['os', 'block-device-mbr'], {
      flavoursPath: join(tmp.path, 'fl'), skipBase: true, imageCache: join(tmp.path, 'cache'), maxOnlineResize: '16777216', journalSizeMiB: '32',
    }, {}, tmp.path));
    expect(plan.environment.find((v) => v.name === 'MAX_ONLINE_RESIZE')?.value).toBe('16777216');
    const root = resolveDisk(plan)?.config.filesystems.find((f) => f.name === 'mkfs_root');
    expect(root?.opts.join(' ')).toBe('-E resize=16777216 -i 4096 -J size=32');
  });
});
