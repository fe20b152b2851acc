import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MissingToolsError } from '../../lib/errors.js';
import { checkTools, debianPackage, findTool, missingTools, requiredTools, TOOL_PACKAGES, type ToolFeature } from '../../lib/exec/host-tools.js';
import { OUTPUT_FORMATS, outputFormat } from '../../lib/outputs/registry.js';
import { ramdiskTools } from '../../lib/ramdisk/ramdisk-tools.js';
import { toolNeeds } from '../../lib/plan/tool-needs.js';
import { buildRequest } from '../../lib/config/parse-options.js';
import { resolveBuild } from '../../lib/plan/resolved-build.js';

const ALL_FEATURES: ToolFeature[] = ['chroot', 'hooks', 'sudo', 'layer-cache', 'debian-bootstrap', 'disk-image', 'gpt', 'boot-test', 'ramdisk'];

describe('tool → Debian package table', () => {
  it('maps the tools kiln runs to their bookworm packages', () => {
    expect(debianPackage('sfdisk')).toBe('fdisk');
    expect(debianPackage('sgdisk')).toBe('gdisk');
    expect(debianPackage('mkfs.ext4')).toBe('e2fsprogs');
    expect(debianPackage('mkfs.xfs')).toBe('xfsprogs');
    expect(debianPackage('mkfs.btrfs')).toBe('btrfs-progs');
    expect(debianPackage('mkfs.vfat')).toBe('dosfstools');
    expect(debianPackage('mcopy')).toBe('mtools');
    expect(debianPackage('losetup')).toBe('mount');
    expect(debianPackage('partx')).toBe('util-linux');
    expect(debianPackage('qemu-img')).toBe('qemu-utils');
    expect(debianPackage('qemu-system-x86_64')).toBe('qemu-system-x86');
    expect(debianPackage('mksquashfs')).toBe('squashfs-tools');
    expect(debianPackage('chroot')).toBe('coreutils');
    expect(debianPackage('grub-install')).toBe('grub2-common');
  });

  it('has a package for every tool any feature, filesystem or format can ask for', () => {
    const everything = requiredTools({
      features: ALL_FEATURES,
      formats: OUTPUT_FORMATS,
      filesystems: ['ext2', 'ext3', 'ext4', 'xfs', 'btrfs', 'vfat', 'swap'],
    });
    const tools = everything.flatMap((t) => [t.tool, ...(t.alternatives ?? []).map((a) => a.tool)]);
    expect(tools.filter((t) => !Object.hasOwn(TOOL_PACKAGES, t))).toEqual([]);
  });

  it('knows the package of every tool a ramdisk build checks for', () => {
    for (const compression of ['zstd', 'gzip'] as const) {
      const tools = requiredTools({ tools: ramdiskTools(compression) });
      expect(tools.map((t) => [t.tool, t.debianPackage])).toEqual([['cpio', 'cpio'], ['depmod', 'kmod'], [compression, compression]]);
    }
  });
});

describe('requiredTools', () => {
  it('asks only for what the plan uses', () => {
    const tools = requiredTools({ formats: ['tar'].map(outputFormat), features: ['chroot'] }).map((t) => t.tool);
    expect(tools).toEqual(['mount', 'umount', 'chroot', 'tar']);
    expect(requiredTools({ formats: ['raw'].map(outputFormat) })).toEqual([]);
  });

  it('derives tools from formats, filesystems and features, each once with the first reason', () => {
    const required = requiredTools({
      features: ['disk-image', 'gpt'],
      formats: ['qcow2', 'vmdk', 'tar.zst'].map(outputFormat),
      filesystems: ['ext4', 'vfat'],
    });
    expect(required.map((t) => t.tool)).toEqual([
      'losetup', 'partx', 'sfdisk', 'mount', 'umount', 'fstrim', 'sgdisk', 'qemu-img', 'tar', 'zstd', 'mkfs.ext4', 'mkfs.vfat', 'mcopy', 'mmd',
    ]);
    expect(required.find((t) => t.tool === 'qemu-img')).toEqual({ tool: 'qemu-img', debianPackage: 'qemu-utils', reason: 'for the qcow2 output' });
    expect(required.find((t) => t.tool === 'mcopy')?.reason).toBe('for the vfat filesystem');
  });

  it('turns "one of" groups into a tool with alternatives', () => {
    const required = requiredTools({ features: ['debian-bootstrap'], formats: ['tgz'].map(outputFormat) });
    expect(required).toEqual([
      { tool: 'mmdebstrap', debianPackage: 'mmdebstrap', reason: 'to bootstrap the Debian root', alternatives: [{ tool: 'debootstrap', debianPackage: 'debootstrap' }] },
      { tool: 'tar', debianPackage: 'tar', reason: 'for the tgz output' },
      { tool: 'pigz', debianPackage: 'pigz', reason: 'for the tgz output', alternatives: [{ tool: 'gzip', debianPackage: 'gzip' }] },
    ]);
  });

  it('accepts explicit tools and groups from the caller', () => {
    const required = requiredTools({ tools: new Map([['busybox', 'for the fake OS']]), anyOf: [{ tools: ['zstd', 'gzip'], reason: 'for the ramdisk' }] });
    expect(required).toEqual([
      { tool: 'busybox', debianPackage: 'busybox-static', reason: 'for the fake OS' },
      { tool: 'zstd', debianPackage: 'zstd', reason: 'for the ramdisk', alternatives: [{ tool: 'gzip', debianPackage: 'gzip' }] },
    ]);
  });
});

describe('checkTools', () => {
  const required = requiredTools({ features: ['disk-image', 'debian-bootstrap'], formats: ['qcow2', 'tgz'].map(outputFormat), filesystems: ['xfs'] });

  it('passes when everything is there', () => {
    expect(() => checkTools(required, () => true)).not.toThrow();
  });

  it('reports every missing tool at once, with its package and reason', () => {
    const have = (tool: string): boolean => !['qemu-img', 'mkfs.xfs', 'partx', 'mmdebstrap', 'debootstrap', 'pigz'].includes(tool);
    let error: unknown;
    try {
      checkTools(required, have);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MissingToolsError);
    const missing = error as MissingToolsError;
    // pigz is missing but gzip does the job; mmdebstrap and debootstrap are both missing.
    expect(missing.missing.map((m) => m.tool)).toEqual(['partx', 'mmdebstrap (or debootstrap)', 'qemu-img', 'mkfs.xfs']);
    expect(missing.message).toBe('missing host tools: partx, mmdebstrap (or debootstrap), qemu-img, mkfs.xfs');
    expect(missing.hint).toBe('install them with: apt-get install util-linux mmdebstrap qemu-utils xfsprogs');
    expect(missing.details()).toContain('  qemu-img (Debian package qemu-utils) is needed for the qcow2 output');
  });

  it('accepts an alternative in place of the preferred tool', () => {
    const have = (tool: string): boolean => tool !== 'mmdebstrap';
    expect(missingTools(required, have)).toEqual([]);
  });
});

describe('findTool', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('finds tools in sbin even when PATH lacks it', () => {
    expect(findTool('sfdisk', '/nonexistent')).toMatch(/^\/(usr\/)?sbin\/sfdisk$/);
  });

  it('searches PATH first and needs the executable bit', () => {
    dir = mkdtempSync(join(tmpdir(), 'kiln-tools-'));
    writeFileSync(join(dir, 'kiln-fake-tool'), '#!/bin/sh\n', { mode: 0o755 });
    writeFileSync(join(dir, 'kiln-not-executable'), 'x', { mode: 0o644 });
    expect(findTool('kiln-fake-tool', dir)).toBe(join(dir, 'kiln-fake-tool'));
    expect(findTool('kiln-not-executable', dir)).toBeUndefined();
    expect(findTool('kiln-no-such-tool', dir)).toBeUndefined();
  });
});

describe('the tools a plan needs', () => {
  const fixtures = join(import.meta.dirname, '../fixtures/flavours');
  const needed = async (kind: 'disk' | 'ramdisk', flavours: string[], options: Record<string, unknown>): Promise<string[]> => {
    const request = buildRequest(kind, flavours, { flavoursPath: fixtures, skipBase: true, ...options }, {}, process.cwd());
    const build = await resolveBuild(request);
    return requiredTools(toolNeeds(build, build.disk, false)).map((t) => t.tool);
  };

  it('a tar build needs the chroot basics and tar, no disk or QEMU tools', async () => {
    const tools = await needed('disk', ['fake-os'], { types: ['tar'] });
    expect(tools).toEqual(expect.arrayContaining(['mount', 'umount', 'chroot', 'bash', 'tar', 'zstd', 'sudo']));
    expect(tools).not.toEqual(expect.arrayContaining(['losetup']));
    expect(tools.filter((t) => /^(qemu|mkfs|sfdisk|cpio)/.test(t))).toEqual([]);
  });

  it('an EFI qcow2 with --boot-test needs GPT, vfat and ext4 tools, qemu-img and QEMU', async () => {
    const tools = await needed('disk', ['fake-os', 'block-device-efi'], { types: ['qcow2'], bootTest: true });
    expect(tools).toEqual(expect.arrayContaining(['losetup', 'partx', 'sfdisk', 'sgdisk', 'mkfs.ext4', 'mkfs.vfat', 'mcopy', 'qemu-img', 'qemu-system-x86_64']));
  });

  it('a ramdisk needs cpio, depmod and its compressor, and no disk tools', async () => {
    const tools = await needed('ramdisk', ['fake-os'], {});
    expect(tools).toEqual(expect.arrayContaining(['cpio', 'depmod', 'zstd']));
    expect(tools).not.toEqual(expect.arrayContaining(['losetup']));
  });
});
