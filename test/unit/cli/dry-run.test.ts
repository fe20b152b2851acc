// The command line as users meet it: --dry-run (text and JSON), --help, --version and every
// kind of bad input, through the real entry point (no root, nothing touched on the host).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { join } from 'node:path';
import { main } from '../../../lib/cli/disk-image-create.js';
import { main as ramdiskMain } from '../../../lib/cli/ramdisk-image-create.js';
import { buildRequest } from '../../../lib/config/parse-options.js';
import { resolveBuild } from '../../../lib/plan/resolved-build.js';
import { hook, tempDir, writeTree } from '../../helpers/tree.js';

let tmp: ReturnType<typeof tempDir>;
let stdout = '';
let stderr = '';

beforeEach(() => {
  tmp = tempDir();
  writeTree(tmp.path, {
    'fl/os/flavour-provides': 'operating-system\n',
    'fl/os/root.d/10-os': hook(),
    'fl/os/environment.d/10-os': 'DISTRO_NAME=tiny\n',
    'fl/app/flavour-deps': 'os\n',
    'fl/app/install.d/50-app': hook(),
    'fl/app/install.d/60-broken.sh': hook(),
    'fl/app/first-boot.d/10-hello': hook(),
    'fl/other-os/flavour-provides': 'operating-system\n',
  });
  stdout = '';
  stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
});
afterEach(() => {
  vi.restoreAllMocks();
  tmp.cleanup();
});

const base = () => ['--flavours-path', join(tmp.path, 'fl'), '--image-cache', join(tmp.path, 'cache'), '-n'];

describe('--dry-run --json', () => {
  it('prints exactly one JSON document with flavours, every phase in order, environment, outputs, warnings', async () => {
    expect(await main([...base(), '--dry-run', '--json', '-o', join(tmp.path, 'x'), '-t', 'qcow2,tar', 'app'])).toBe(0);
    const plan = JSON.parse(stdout);
    expect(plan.flavours).toEqual([
      { name: 'app', path: join(tmp.path, 'fl/app') },
      { name: 'os', path: join(tmp.path, 'fl/os') },
    ]);
    expect(plan.phases.map((p: { dir: string }) => p.dir)).toEqual([
      'root.d', 'extra-data.d', 'pre-install.d', 'install.d', 'post-install.d', 'post-root.d',
      'block-device-size.d', 'block-device.d', 'pre-finalise.d', 'finalise.d', 'cleanup.d', 'first-boot.d',
    ]);
    const install = plan.phases.find((p: { name: string }) => p.name === 'install');
    expect(install).toEqual({ name: 'install', dir: 'install.d', where: 'chroot', hooks: [{ name: '50-app', flavour: 'app', path: join(tmp.path, 'fl/app/install.d/50-app') }] });
    expect(plan.phases.find((p: { name: string }) => p.name === 'first-boot').where).toBe('image');
    expect(plan.environment).toContainEqual({ name: 'DISTRO_NAME', value: 'tiny', source: 'os/environment.d/10-os' });
    expect(plan.environment).toContainEqual({ name: 'ARCH', value: 'amd64', source: 'kiln' });
    expect(plan.outputs).toEqual([
      { format: 'qcow2', path: join(tmp.path, 'x.qcow2') },
      { format: 'tar', path: join(tmp.path, 'x.tar') },
    ]);
    expect(plan.warnings).toEqual([expect.stringContaining('60-broken.sh (flavour app, install.d): its name has a dot')]);
    expect(plan.cache.map((c: { phase: string }) => c.phase)).toContain('install');
    expect(stderr).toBe('');
  });

  it('prints a readable plan without --json', async () => {
    expect(await main([...base(), '--dry-run', 'app'])).toBe(0);
    expect(stdout).toMatch(/Flavours[\s\S]*app[\s\S]*Phases in run order:[\s\S]*install\.d \[chroot\][\s\S]*50-app\s+app/);
    expect(stdout).toMatch(/Warnings:\n.*60-broken\.sh/);
    // A long value (the block-device config) does not widen the environment table for the rest.
    expect(stdout).toMatch(/\n {2}DISTRO_NAME +"tiny" {36}os\/environment\.d\/10-os\n/);
  });

  it('shows the disk: table, partitions with sizes or how sized, filesystems, labels, mount points, bootloader', async () => {
    writeTree(tmp.path, {
      'fl/bd/block-device-default.yaml': `- local_loop: {name: image0}
- partitioning:
    base: image0
    label: gpt
    partitions:
      - {name: ESP, type: 'EF00', size: 100MiB, mkfs: {type: vfat, mount: {mount_point: /boot/efi}}}
      - {name: BSP, type: 'EF02', size: 8MiB}
      - {name: root, type: '8300', size: 100%, mkfs: {name: mkfs_root, mount: {mount_point: /}}}
`,
      'fl/bootloader/README.md': 'x',
    });
    expect(await main([...base(), '--dry-run', '--json', '--image-size', '1G', '--root-label', 'mine', 'app', 'bd', 'bootloader'])).toBe(0);
    const { disk, cache } = JSON.parse(stdout);
    expect(disk.table).toBe('gpt');
    expect(disk.partitions.map((p: { number: number; name: string; bytes: number }) => [p.number, p.name, p.bytes])).toEqual([
      [1, 'ESP', 100 * 1024 ** 2], [2, 'BSP', 8 * 1024 ** 2], [3, 'root', expect.any(Number)],
    ]);
    expect(disk.filesystems).toEqual([
      { name: 'mkfs_ESP', on: 'ESP', type: 'vfat', label: 'MKFS_ESP', mountPoint: '/boot/efi' },
      { name: 'mkfs_root', on: 'root', type: 'ext4', label: 'mine', mountPoint: '/' },
    ]);
    expect(disk.firmwares).toEqual(['bios', 'uefi']);
    expect(disk.bootloader).toEqual([expect.stringMatching(/^BIOS: GRUB i386-pc/), expect.stringMatching(/^UEFI: GRUB x86_64-efi/)]);
    expect(cache.map((c: { phase: string }) => c.phase)).toEqual(['root', 'extra-data', 'pre-install', 'install', 'packages', 'post-install', 'post-root']);
    stdout = '';
    expect(await main([...base(), '--dry-run', 'app', 'bd'])).toBe(0);
    expect(stdout).toMatch(/Disk \(block-device config: .*fl\/bd\/block-device-default\.yaml\):\n  size: from the built tree: tree \/ 0\.6 \+ 64 MiB ext4 journal, rounded up to 64 KiB\n  partition table: gpt\n/);
    expect(stdout).toMatch(/1\s+ESP\s+100 MiB\s+type EF00[\s\S]*3\s+root\s+the rest of the disk\s+type 8300/);
    expect(stdout).toMatch(/mkfs_root\s+ext4\s+label "cloudimg-rootfs"\s+on root\s+mounted at \/\n/);
    expect(stdout).toContain('bootloader: none (no bootloader flavour)');
  });

  it('resolves to plain data: the resolved build survives JSON unchanged', async () => {
    const request = buildRequest('disk', ['app'], { flavoursPath: join(tmp.path, 'fl'), skipBase: true, imageCache: join(tmp.path, 'cache') }, {}, tmp.path);
    const resolved = await resolveBuild(request);
    expect(JSON.parse(JSON.stringify(resolved))).toEqual(resolved);
  });

  it('treats broken cache metadata as a warning and a rebuild, never an error', async () => {
    const cache = join(tmp.path, 'cache');
    const request = buildRequest('disk', ['app'], { flavoursPath: join(tmp.path, 'fl'), skipBase: true, imageCache: cache, types: ['tar'] }, {}, tmp.path);
    const { cache: first } = await resolveBuild(request);
    const root = first.stages[0]!.key;
    writeTree(cache, {
      [`layers/${root}.tar.zst`]: '',
      [`layers/${root}.json`]: '{"key": "trunc',
      [`outputs/${first.outputKey}/tar`]: '',
      [`outputs/${first.outputKey}/meta.json`]: '{"key": "x"}',
    });
    const resolved = await resolveBuild(request);
    expect(resolved.warnings.filter((w) => w.startsWith('ignoring'))).toEqual([
      expect.stringMatching(new RegExp(`^ignoring broken cache metadata ${join(cache, 'layers', `${root}.json`)} \\(not valid JSON: .*\\); that cache entry is built again$`)),
      `ignoring broken cache metadata ${join(cache, 'outputs', first.outputKey!, 'meta.json')} (no creation and last-use times); that cache entry is built again`,
    ]);
    expect(resolved.cache.decisions[0]).toMatchObject({ reuse: false });
    expect(resolved.cache.outputsFromCache).toBe(false);
  });

  it('strips a trailing .<type> from -o when one type is asked for (DIB)', async () => {
    await main([...base(), '--dry-run', '--json', '-o', join(tmp.path, 'y.qcow2'), 'app']);
    expect(JSON.parse(stdout).outputs).toEqual([{ format: 'qcow2', path: join(tmp.path, 'y.qcow2') }]);
  });

  it('ramdisk-image-create plans kernel and initramfs outputs with the ramdisk flavour first', async () => {
    writeTree(tmp.path, { 'fl/ramdisk/README.md': 'x' });
    expect(await ramdiskMain([...base(), '--dry-run', '--json', '-o', join(tmp.path, 'r'), 'app'])).toBe(0);
    const plan = JSON.parse(stdout);
    expect(plan.flavours[0].name).toBe('ramdisk');
    expect(plan.outputs).toEqual([
      { format: 'kernel', path: join(tmp.path, 'r.kernel') },
      { format: 'initramfs', path: join(tmp.path, 'r.initramfs') },
    ]);
  });
});

describe('the seed\'s commands name no operating system (kiln\'s own flavours)', () => {
  const note = 'no flavour provides "operating-system": building with "debian", kiln\'s default operating system (name one to choose another)';
  const cache = () => ['--image-cache', join(tmp.path, 'cache')];

  it('disk-image-create -o NAME vm plans Debian and says so in one line of the plan', async () => {
    expect(await main([...cache(), '--dry-run', '-o', join(tmp.path, 'filename'), 'vm'])).toBe(0);
    expect(stdout.split('\n').filter((line) => line.includes(note))).toHaveLength(1);
    stdout = '';
    expect(await main([...cache(), '--dry-run', '--json', '-o', join(tmp.path, 'filename'), 'vm'])).toBe(0);
    const plan = JSON.parse(stdout) as { flavours: { name: string }[]; warnings: string[] };
    expect(plan.flavours.map((f) => f.name)).toEqual(expect.arrayContaining(['vm', 'debian', 'block-device-mbr', 'base']));
    expect(plan.warnings).toContain(note);
  });

  it('ramdisk-image-create -o deploy.ramdisk deploy plans Debian the same way; naming one says nothing', async () => {
    expect(await ramdiskMain([...cache(), '--dry-run', '--json', '-o', join(tmp.path, 'deploy.ramdisk'), 'deploy'])).toBe(0);
    const plan = JSON.parse(stdout) as { flavours: { name: string }[]; warnings: string[] };
    expect(plan.flavours.map((f) => f.name)).toEqual(expect.arrayContaining(['deploy', 'debian']));
    expect(plan.warnings).toContain(note);
    stdout = '';
    expect(await main([...cache(), '--dry-run', '--json', '-o', join(tmp.path, 'named'), 'debian', 'vm'])).toBe(0);
    expect((JSON.parse(stdout) as { warnings: string[] }).warnings).not.toContain(note);
  });
});

describe('bad input: one line, a hint, exit code 2, no stack trace', () => {
  const cases: [string, string[], RegExp][] = [
    ['unknown option', ['--frobnicate', 'app'], /^disk-image-create: unknown option '--frobnicate'\nhint: see `disk-image-create --help`\n$/],
    ['missing flavours', [], /no flavours given/],
    ['bad size', ['--image-size', '2X', 'app'], /^disk-image-create: --image-size "2X" is not a size\nhint: .*2G, 1500M, 2GiB/],
    ['unknown output type', ['-t', 'qcow2,iso', 'app'], /unknown output type "iso".*qcow2, raw, vhd, vmdk, vdi, tar, tgz, tar\.zst, squashfs/],
    ['unknown arch', ['-a', 'sparc', 'app'], /unknown architecture "sparc" for --arch/],
    ['bad qemu-img options', ['--qemu-img-options', 'cluster_size', 'app'], /--qemu-img-options "cluster_size": "cluster_size" is not key=value/],
    ['missing flavour with a suggestion', ['ap'], /flavour "ap" not found; searched .*\nhint: did you mean "app"/],
    ['two operating systems', ['app', 'other-os'], /"operating-system" is provided by both "os" and "other-os"|"operating-system" is provided by both "other-os" and "os"/],
    ['no operating system', ['other-os', 'os', 'operating-system'], /"operating-system" was asked for, but "other-os" already provides|provided by both/],
    ['a search-path entry that is not a folder', ['--flavours-path', '/nonexistent/flavours', 'app'], /--flavours-path entry '\/nonexistent\/flavours' is not a directory/],
  ];
  it.each(cases)('%s', async (_, args, expected) => {
    const code = await main([...base(), '--dry-run', ...args]);
    expect(code).toBe(2);
    expect(stderr).toMatch(expected);
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(stdout).toBe('');
  });

  it('the same checks run in a real build, before anything happens', async () => {
    expect(await main([...base(), '--image-size', 'lots', 'app'])).toBe(2);
    expect(stderr).toMatch(/--image-size "lots" is not a size/);
  });
});

describe('--help and --version', () => {
  it('explains every option, the phases and examples', async () => {
    expect(await main(['--help'])).toBe(0);
    for (const option of ['-o, --output', '-t, --type', '-a, --arch', '-x, --trace', '-u, --uncompressed', '-n, --skip-base', '-p, --packages', '--checksum', '--image-size', '--image-extra-size', '--image-cache', '--mkfs-options', '--qemu-img-options', '--root-label', '--no-tmpfs', '--min-tmpfs', '--logfile', '--offline', '--dry-run', '--json', '--boot-test', '--no-cache', '--flavours-path']) {
      expect(stdout).toContain(option);
    }
    expect(stdout).toMatch(/Phases[\s\S]*root\.d\s+host[\s\S]*first-boot\.d\s+image/);
    expect(stdout).toMatch(/Examples:\n\s+disk-image-create/);
  });
  it('prints the version', async () => {
    expect(await main(['--version'])).toBe(0);
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
