// kiln-write-disk against loop devices: a GPT qcow2 onto a larger device holding old data is
// written, verified, its backup GPT header moved to the end and its last partition grown; kiln's
// fixed vhd, streamOptimized vmdk and vdi are written and verified too (a vhd cut short is not);
// zero blocks are skipped where the device reads zeros (its sparse backing file stays sparse) and
// written where it does not; --sparse on a device that does not read zeros fails verification.
// Refused with exit 2 and not a byte written: a mounted device, a device with a mounted
// partition, a swap device, an LVM physical volume, a partition, a device too small. A truncated
// qcow2, a raw image whose .sha256 disagrees, and an unanswered question fail before writing.
// Ctrl-C while writing stops at once, says the device holds part of the image, and removes the
// conversion. Nothing is left behind.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { qemuImgConvertArgv } from '../../lib/outputs/qemu-img.js';
import { bin, hostState, isRoot, kiln, start, type HostState } from '../helpers/host.js';

const MiB = 1024 * 1024;
const sh = (script: string, cwd: string): string => execFileSync('bash', ['-euc', script], { cwd }).toString();
const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

describe.skipIf(!isRoot)('kiln-write-disk on loop devices (root)', () => {
  let dir: string;
  let before: HostState;
  const loops: string[] = [];
  const mounts: string[] = [];

  /** A loop device over a new file of `mib` MiB: sparse (reads zeros), or filled with random data. */
  function device(name: string, mib: number, fill: 'zeros' | 'random'): { dev: string; file: string } {
    const file = join(dir, name);
    sh(fill === 'zeros' ? `truncate -s ${mib}M ${file}` : `head -c ${mib}M /dev/urandom > ${file}`, dir);
    const dev = execFileSync('losetup', ['--find', '--show', file]).toString().trim();
    loops.push(dev);
    return { dev, file };
  }

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kiln-write-disk-test.'));
    before = hostState();
    // The image: a 16 MiB GPT disk, an ext4 partition with data and a second partition of random
    // bytes, then zeros: a qcow2 as kiln makes them, and its raw form for comparisons.
    sh(`truncate -s 16M disk.raw
        printf 'label: gpt\\n,8M\\n,4M\\n' | sfdisk -q disk.raw
        mkfs.ext4 -q -L root -E offset=${MiB} disk.raw 8M
        head -c 4M /dev/urandom | dd of=disk.raw bs=1M seek=9 conv=notrunc status=none
        qemu-img convert -f raw -O qcow2 disk.raw disk.qcow2`, dir);
  });

  afterEach(() => {
    for (const m of mounts.splice(0)) spawnSync('umount', [m]);
    spawnSync('swapoff', ['-a']);
    for (const l of loops.splice(0)) {
      spawnSync('partx', ['-d', l]);
      spawnSync('losetup', ['-d', l]);
    }
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    expect(hostState()).toEqual(before);
  });

  const write = (args: string[]) => kiln('kiln-write-disk', args, { TMPDIR: dir });

  it('writes a qcow2 to a larger device over old data, verifies, fixes the GPT and grows the last partition', async () => {
    const target = device('large', 40, 'random');
    const result = await write(['--yes', '--grow', join(dir, 'disk.qcow2'), target.dev]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`verified: ${target.dev} holds the image (sha256 ${sha256(join(dir, 'disk.raw'))})`);
    expect(result.stderr).toMatch(/writing 16 MiB of 16 MiB \(100%\)/);
    expect(result.stderr).toMatch(/verifying 16 MiB of 16 MiB \(100%\)/);
    expect(result.stderr).toContain(`moved the backup GPT header to the end of ${target.dev}`);
    // The table is whole, its backup at the device's end, and partition 2 reaches the end.
    expect(sh(`sfdisk --verify ${target.dev}`, dir)).toMatch(/No errors detected/);
    expect(sh(`sgdisk --verify ${target.dev}`, dir)).toMatch(/No problems found/);
    const table = JSON.parse(sh(`sfdisk --json ${target.dev}`, dir)) as { partitiontable: { lastlba: number; partitions: { start: number; size: number }[] } };
    const [p1, p2] = table.partitiontable.partitions;
    expect(p2!.start + p2!.size - 1).toBe(table.partitiontable.lastlba);
    // The partitions' bytes are the image's: the ext4 filesystem and the random data.
    sh(`cmp -n ${p1!.size * 512} -i ${p1!.start * 512}:${p1!.start * 512} disk.raw ${target.file}`, dir);
    sh(`cmp -n ${4 * MiB} -i ${9 * MiB}:${9 * MiB} disk.raw ${target.file}`, dir);
  });

  it('writes the other formats kiln makes (fixed vhd, streamOptimized vmdk, vdi) and refuses a vhd cut short', async () => {
    for (const format of ['vhd', 'vmdk', 'vdi']) {
      const argv = qemuImgConvertArgv({ format, source: join(dir, 'disk.raw'), target: join(dir, `disk.${format}`), compress: true, zstd: true });
      execFileSync(argv[0]!, argv.slice(1));
      const target = device(`as-${format}`, 24, 'random');
      const result = await write(['--yes', join(dir, `disk.${format}`), target.dev]);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toContain(`verified: ${target.dev} holds the image (sha256 ${sha256(join(dir, 'disk.raw'))})`);
    }
    // A fixed VHD is the raw disk plus a footer at its end: cut short, it has lost the footer.
    sh('cp disk.vhd cut.vhd && truncate -s 12M cut.vhd', dir);
    const target = device('cut-vhd', 24, 'random');
    const before = sha256(target.file);
    const cut = await write(['--yes', join(dir, 'cut.vhd'), target.dev]);
    expect(cut.code).toBe(1);
    expect(cut.stderr).toContain('cut.vhd is damaged: its name says vpc but qemu-img reads it as raw; nothing was written');
    expect(sha256(target.file)).toBe(before);
  });

  it('skips zero blocks where the device reads zeros, and --sparse trusts it only to be caught by the verification', async () => {
    const fresh = device('fresh', 24, 'zeros');
    const result = await write(['--yes', join(dir, 'disk.qcow2'), fresh.dev]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/wrote 16777216 bytes \((\d+) bytes of zeros skipped\)/);
    // Only the image's data reached the backing file: it stays sparse (the 4 MiB of random data,
    // the ext4 metadata and the GPT; a writer of every block would fill at least 16 MiB).
    expect(statSync(fresh.file).blocks * 512).toBeLessThan(6 * MiB);
    const old = device('old', 24, 'random');
    const sparse = await write(['--yes', '--sparse', join(dir, 'disk.qcow2'), old.dev]);
    expect(sparse.code).toBe(1);
    expect(sparse.stderr).toMatch(/verification failed: .* reads back sha256 [0-9a-f]{64}, the image's disk is [0-9a-f]{64}/);
    expect(sparse.stderr).toMatch(/hint: with --sparse the device must read zeros/);
  });

  it('refuses a mounted device, a device with a mounted partition, a swap device and an LVM member, writing nothing', async () => {
    const mounted = device('mounted', 24, 'zeros');
    sh(`mkfs.ext4 -q ${mounted.dev} && mkdir -p mnt-a && mount ${mounted.dev} mnt-a`, dir);
    mounts.push(join(dir, 'mnt-a'));
    const parted = device('parted', 24, 'zeros');
    sh(`printf 'label: gpt\\n,12M\\n,+\\n' | sfdisk -q ${parted.dev} && partx -a ${parted.dev} && mkfs.ext4 -q ${parted.dev}p2 && mkdir -p mnt-b && mount ${parted.dev}p2 mnt-b`, dir);
    mounts.push(join(dir, 'mnt-b'));
    const swap = device('swap', 24, 'zeros');
    sh(`mkswap -q ${swap.dev} && swapon ${swap.dev}`, dir);
    // An LVM physical volume nothing uses yet (pvcreate writes the label; no device-mapper needed).
    const pv = device('pv', 24, 'zeros');
    sh(`pvcreate -qq ${pv.dev}`, dir);
    // A mounted filesystem changes its own device, so "nothing written" means: none of the image's
    // bytes are there (its partition table at the start, its random data at 9 MiB).
    const imageBytes = (file: string): boolean[] => [0, 9 * MiB].map((at) => {
      const span = (path: string): Buffer => readFileSync(path).subarray(at, at + MiB);
      return span(file).equals(span(join(dir, 'disk.raw')));
    });
    const cases: [string, string, RegExp][] = [
      [mounted.dev, mounted.file, new RegExp(`^  ${mounted.dev} is mounted at ${join(dir, 'mnt-a')}$`, 'm')],
      [parted.dev, parted.file, new RegExp(`^  ${parted.dev}p2 is mounted at ${join(dir, 'mnt-b')}$`, 'm')],
      [swap.dev, swap.file, new RegExp(`^  ${swap.dev} is in use as swap$`, 'm')],
      [pv.dev, pv.file, new RegExp(`^  ${pv.dev} is an LVM physical volume \\(LVM2_member signature\\)$`, 'm')],
    ];
    for (const [dev, file, reason] of cases) {
      const result = await write(['--yes', join(dir, 'disk.qcow2'), dev]);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toContain(`kiln-write-disk: refusing to write ${dev}; nothing was written:`);
      expect(result.stderr).toMatch(reason);
      expect(imageBytes(file), `none of the image is on ${dev}`).toEqual([false, false]);
    }
  });

  it('refuses a device smaller than the image and a partition, naming the sizes or the disk', async () => {
    const small = device('small', 12, 'random');
    const before = sha256(small.file);
    const result = await write(['--yes', join(dir, 'disk.qcow2'), small.dev]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`  ${small.dev} is too small: 12 MiB (12582912 bytes), the image's disk is 16 MiB (16777216 bytes)`);
    expect(sha256(small.file)).toBe(before);
    const parted = device('parted2', 24, 'zeros');
    sh(`printf 'label: gpt\\n,+\\n' | sfdisk -q ${parted.dev} && partx -a ${parted.dev}`, dir);
    const partition = await write(['--yes', join(dir, 'disk.qcow2'), `${parted.dev}p1`]);
    expect(partition.code).toBe(2);
    expect(partition.stderr).toContain(`${parted.dev}p1 is partition ${parted.dev.slice(5)}p1 of ${parted.dev}, not a whole disk`);
  });

  it('fails on a truncated image and a wrong checksum file before writing, and when nobody says yes', async () => {
    sh('cp disk.qcow2 cut.qcow2 && truncate -s $(( $(stat -c %s disk.qcow2) / 2 )) cut.qcow2', dir);
    sh('cp disk.raw cut.raw && sha256sum cut.raw > cut.raw.sha256 && truncate -s 12M cut.raw', dir);
    const target = device('target', 24, 'random');
    const before = sha256(target.file);
    const cut = await write(['--yes', join(dir, 'cut.qcow2'), target.dev]);
    expect(cut.code).toBe(1);
    expect(cut.stderr).toMatch(/cut\.qcow2 is damaged: qemu-img check found errors .*; nothing was written/);
    const raw = await write(['--yes', join(dir, 'cut.raw'), target.dev]);
    expect(raw.code).toBe(1);
    expect(raw.stderr).toMatch(/cut\.raw is damaged: its sha256 is [0-9a-f]{64} but cut\.raw\.sha256 says [0-9a-f]{64}/);
    const unanswered = await write([join(dir, 'disk.qcow2'), target.dev]);
    expect(unanswered.code).toBe(1);
    expect(unanswered.stderr).toContain(`about to overwrite ${target.dev}`);
    expect(unanswered.stderr).toContain(`not confirmed: nothing was written to ${target.dev}`);
    const declined = spawnSync(bin('kiln-write-disk'), [join(dir, 'disk.qcow2'), target.dev], { input: 'no\n', encoding: 'utf8', env: { ...process.env, TMPDIR: dir } });
    expect(declined.status).toBe(1);
    expect(sha256(target.file)).toBe(before);
  });

  it('stops on Ctrl-C while writing, says the device is incomplete and removes its temp files', async () => {
    // Random data neither compresses nor skips: the copy takes long enough to be interrupted.
    sh('head -c 192M /dev/urandom > big.raw && qemu-img convert -f raw -O qcow2 big.raw big.qcow2 && rm big.raw', dir);
    const target = device('interrupted', 200, 'zeros');
    const temps = join(dir, 'tmp');
    sh(`mkdir -p ${temps}`, dir);
    const run = start('kiln-write-disk', ['--yes', join(dir, 'big.qcow2'), target.dev], { TMPDIR: temps });
    await new Promise<void>((resolve) => {
      const check = (chunk: Buffer): void => {
        if (/writing \d/.test(chunk.toString())) {
          run.child.stderr!.off('data', check);
          run.child.kill('SIGINT');
          resolve();
        }
      };
      run.child.stderr!.on('data', check);
    });
    const result = await run.done;
    expect(result.code, result.stderr).toBe(130);
    expect(result.stderr).toMatch(new RegExp(`interrupted by SIGINT while writing ${target.dev}: it holds part of the image now`));
    expect(readdirSync(temps)).toEqual([]);
  });
});
