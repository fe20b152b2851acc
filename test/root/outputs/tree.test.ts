// Tree outputs of a root-owned tree, as the engine writes them: owners, modes, file
// capabilities, ACLs, device nodes and hard links survive; proc, sys and dev/pts contents and
// the hook tree stay out; a mounted kernel filesystem is refused; an aborted or failed output
// leaves no file behind; outputs are handed to the sudo user.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { partialOf } from '../../helpers/outputs.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CommandFailedError, KilnError } from '../../../lib/errors.js';
import { nullLog } from '../../../lib/log.js';
import { writeTreeOutput } from '../../../lib/outputs/tree.js';
import { ResourceStack } from '../../../lib/resources/disposable-stack.js';
import { mount } from '../../../lib/resources/mount.js';
import { hostState, isRoot, type HostState } from '../../helpers/host.js';

const sh = (script: string, cwd: string): string => execFileSync('bash', ['-euc', script], { cwd }).toString();

/** Processes whose command line contains `text` (pgrep leaves itself out). */
function processesMentioning(text: string): string[] {
  try {
    return execFileSync('pgrep', ['-a', '-f', '--', text]).toString().trim().split('\n');
  } catch {
    return [];
  }
}

/** A root-owned image tree with what packages create: capabilities, device nodes, owners, ACLs. */
function makeRootTree(root: string): void {
  sh(`
    mkdir -p usr/bin usr/share/proc etc home/user proc/1 sys/kernel dev/pts tmp/in_target.d/install.d
    cp /bin/true usr/bin/ping
    setcap cap_net_raw+ep usr/bin/ping
    mknod -m 666 dev/null c 1 3
    mknod -m 600 dev/console c 5 1
    mknod -m 660 dev/loop0 b 7 0
    mkfifo -m 600 dev/initctl
    echo 'root:*:19000:0:99999:7:::' > etc/shadow && chown 0:42 etc/shadow && chmod 0640 etc/shadow
    cp /bin/true usr/bin/su-ish && chown 1234:5678 usr/bin/su-ish && chmod 4755 usr/bin/su-ish
    chown 1000:1000 home/user && chmod 0700 home/user
    echo shared > usr/bin/busybox && ln usr/bin/busybox usr/bin/sh-link && ln usr/bin/busybox usr/bin/ls-link
    ln -s busybox usr/bin/vi
    echo acl > etc/acl-file && setfacl -m u:1234:rwx etc/acl-file
    echo keep > usr/share/proc/keep
    echo host > proc/cpuinfo && echo host > proc/1/status && echo host > sys/kernel/hostname && echo host > dev/pts/0
    echo hook > tmp/in_target.d/install.d/50-hook
  `, root);
}

/** Unpacks an output as root, restoring everything it holds. */
function extract(format: string, file: string, out: string): void {
  if (format === 'squashfs') {
    execFileSync('unsquashfs', ['-no-progress', '-quiet', '-d', out, file]);
    return;
  }
  const compression = format === 'tar.zst' ? ['--zstd'] : format === 'tgz' ? ['--gzip'] : [];
  execFileSync('mkdir', [out]);
  execFileSync('tar', ['--extract', '--file', file, '--directory', out, ...compression,
    '--xattrs', '--xattrs-include=*', '--acls', '--numeric-owner', '--same-permissions']);
}

function expectPreserved(out: string, format: string): void {
  expect(sh('getcap usr/bin/ping', out)).toMatch(/usr\/bin\/ping cap_net_raw=ep/);
  expect(sh("stat -c '%F %t:%T %a' dev/null dev/console dev/loop0 dev/initctl", out).trim().split('\n')).toEqual([
    'character special file 1:3 666', 'character special file 5:1 600', 'block special file 7:0 660', 'fifo 0:0 600',
  ]);
  expect(sh("stat -c '%u:%g %a' etc/shadow usr/bin/su-ish home/user", out).trim().split('\n')).toEqual(['0:42 640', '1234:5678 4755', '1000:1000 700']);
  const inode = statSync(join(out, 'usr/bin/busybox')).ino;
  expect(statSync(join(out, 'usr/bin/sh-link')).ino).toBe(inode);
  expect(statSync(join(out, 'usr/bin/ls-link')).ino).toBe(inode);
  expect(lstatSync(join(out, 'usr/bin/vi')).isSymbolicLink()).toBe(true);
  const acl = sh('getfacl --omit-header --numeric etc/acl-file', out);
  // squashfs stores only user., trusted. and security. xattrs: POSIX ACLs cannot be kept there.
  if (format === 'squashfs') expect(acl).not.toContain('user:1234:rwx');
  else expect(acl, `${format} keeps ACLs`).toContain('user:1234:rwx');
  expect(readFileSync(join(out, 'usr/share/proc/keep'), 'utf8')).toBe('keep\n');
  for (const d of ['proc', 'sys', 'dev/pts']) expect(readdirSync(join(out, d)), `${d} is empty`).toEqual([]);
  expect(readdirSync(join(out, 'tmp'))).toEqual([]);
}

describe.skipIf(!isRoot)('tree outputs of a root-owned tree (root)', () => {
  let dir: string;
  let root: string;
  let before: HostState;
  beforeEach(() => {
    before = hostState();
    dir = mkdtempSync(join(tmpdir(), 'kiln-tree-outputs-'));
    root = join(dir, 'root');
    execFileSync('mkdir', ['-m', '0755', root]);
    makeRootTree(root);
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    expect(hostState()).toEqual(before);
  });

  for (const format of ['tar', 'tgz', 'tar.zst', 'squashfs']) {
    it(`${format}: keeps capabilities, device nodes, owners, ACLs and hard links; no host state`, async () => {
      const path = join(dir, 'out', `img.${format}`);
      await writeTreeOutput({ format, root, path, epoch: 1700000000, log: nullLog });
      expect(readdirSync(join(dir, 'out'))).toEqual([`img.${format}`]);
      const out = join(dir, 'extracted');
      extract(format, path, out);
      expectPreserved(out, format);
    });
  }

  it('every tree format is the same bytes from a copy of the tree (other inode, access and change times), and tells epochs apart', async () => {
    sh('cat etc/shadow > /dev/null; cp -a --sparse=always . ../copy', root);
    await sleep(1100);
    for (const format of ['tar', 'tgz', 'tar.zst', 'squashfs']) {
      const write = async (from: string, name: string, epoch = 1700000000): Promise<Buffer> => {
        const path = join(dir, name, `img.${format}`);
        await writeTreeOutput({ format, root: from, path, epoch, log: nullLog });
        return readFileSync(path);
      };
      const first = await write(root, 'first');
      expect((await write(join(dir, 'copy'), 'again')).equals(first), format).toBe(true);
      expect((await write(root, 'later', 1700086400)).equals(first), format).toBe(false);
    }
  }, 120_000);

  it('hands the output to the user who ran sudo', async () => {
    const saved = { uid: process.env.SUDO_UID, gid: process.env.SUDO_GID };
    process.env.SUDO_UID = '4321';
    process.env.SUDO_GID = '4322';
    try {
      for (const format of ['tar.zst', 'squashfs']) {
        const path = join(dir, `img.${format}`);
        await writeTreeOutput({ format, root, path, epoch: 1700000000, log: nullLog });
        expect(statSync(path).uid, format).toBe(4321);
        expect(statSync(path).gid, format).toBe(4322);
      }
    } finally {
      for (const [key, value] of [['SUDO_UID', saved.uid], ['SUDO_GID', saved.gid]] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });

  it('refuses to archive a root with a kernel filesystem still mounted', async () => {
    const stack = new ResourceStack();
    try {
      await mount(stack, { source: 'kiln-test-proc', target: join(root, 'proc'), fstype: 'tmpfs' });
      const path = join(dir, 'img.tar');
      await expect(writeTreeOutput({ format: 'tar', root, path, epoch: 1700000000, log: nullLog })).rejects.toThrow(KilnError);
      await expect(writeTreeOutput({ format: 'tar', root, path, epoch: 1700000000, log: nullLog })).rejects.toThrow(/proc still mounted/);
      expect(readdirSync(dir)).toEqual(['root']);
    } finally {
      await stack.disposeAsync();
    }
  });

  it('leaves no file when the tool fails', async () => {
    const path = join(dir, 'img.tar');
    await expect(writeTreeOutput({ format: 'tar', root: join(dir, 'missing'), path, epoch: 1700000000, log: nullLog })).rejects.toBeInstanceOf(CommandFailedError);
    await expect(writeTreeOutput({ format: 'squashfs', root: join(dir, 'missing'), path: join(dir, 'img.squashfs'), epoch: 1700000000, log: nullLog })).rejects.toBeInstanceOf(CommandFailedError);
    expect(readdirSync(dir)).toEqual(['root']);
  });

  for (const format of ['tgz', 'squashfs']) {
    it(`${format}: an abort mid-write stops the tool and leaves no partial file`, async () => {
      writeFileSync(join(root, 'big'), randomBytes(160 * 1024 * 1024));
      const path = join(dir, `img.${format}`);
      const controller = new AbortController();
      const outcome = writeTreeOutput({ format, root, path, epoch: 1700000000, log: nullLog, signal: controller.signal }).then(() => 'finished', (e: unknown) => e);
      for (let i = 0; i < 1000 && !(partialOf(path) && statSync(partialOf(path)!).size > 0); i++) await sleep(10);
      expect(statSync(partialOf(path)!).size).toBeGreaterThan(0);
      controller.abort(new Error('interrupted'));
      expect(await outcome).toEqual(new Error('interrupted'));
      expect(readdirSync(dir)).toEqual(['root']);
      expect(processesMentioning(root)).toEqual([]);
    });
  }

  it('an already aborted build writes nothing', async () => {
    const controller = new AbortController();
    controller.abort(new Error('interrupted'));
    const path = join(dir, 'img.tar');
    await expect(writeTreeOutput({ format: 'tar', root, path, epoch: 1700000000, log: nullLog, signal: controller.signal })).rejects.toThrow('interrupted');
    await sleep(100);
    expect(readdirSync(dir)).toEqual(['root']);
  });
});

