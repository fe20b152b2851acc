// DIB's block-device config tests (tests/test_config.py, test_mkfs.py, test_lvm.py) on kiln's
// parser, plus kiln's own checks. Every error must be a ConfigError naming source and node.
import { describe, expect, it } from 'vitest';
import { parseBlockDeviceConfig } from '../../../lib/block-device/config.js';
import { checkKernelSupport } from '../../../lib/block-device/kernel-support.js';
import { lvDevice, lvmCreateCommands, lvmReleaseCommands } from '../../../lib/block-device/lvm.js';
import { ConfigError } from '../../../lib/errors.js';
import { errorOf, fixture, graphOf, itemsOf, withRealUuids } from './helpers.js';

function parse(text: string, source = 'test.yaml') {
  return parseBlockDeviceConfig(text, source);
}

describe('tree to graph (test_config.py TestConfigParsing)', () => {
  it('leaves a graph config unchanged', () => {
    expect(graphOf(fixture('simple_graph'))).toEqual(itemsOf(fixture('simple_graph')));
  });

  it.each([
    ['simple_tree', 'simple_graph'],
    ['deep_tree', 'deep_graph'],
    ['multiple_partitions_tree', 'multiple_partitions_graph'],
    ['lvm_tree', 'lvm_graph'],
  ])('%s is the same config as %s', (tree, graph) => {
    expect(graphOf(fixture(tree))).toEqual(itemsOf(fixture(graph)));
  });

  it('names tree nodes <type>_<base>: mkfs_root, mount_mkfs_root, fstab_mount_mkfs_root', () => {
    const config = parse(fixture('deep_tree'));
    expect(config.filesystems.map((f) => f.name)).toEqual(['mkfs_root']);
    expect(config.mounts.map((m) => [m.name, m.base])).toEqual([['mount_mkfs_root', 'mkfs_root']]);
    expect(config.fstab.map((f) => [f.name, f.base])).toEqual([['fstab_mount_mkfs_root', 'mount_mkfs_root']]);
    expect(config.partitioning?.partitions.map((p) => p.base)).toEqual(['image0']);
  });

  it('accepts tree and graph notation mixed in one config', () => {
    const text = `
- local_loop:
    name: image0
    mkfs:
      name: mkfs_root
- mount:
    base: mkfs_root
    mount_point: /
    fstab: {}
`;
    const config = parse(text);
    expect(config.filesystems[0]?.base).toBe('image0');
    expect(config.mounts[0]?.name).toBe('mount_mkfs_root');
    expect(config.fstab[0]?.name).toBe('fstab_mount_mkfs_root');
  });

  it('rejects an unknown node type, naming it, the source and the line', () => {
    const error = errorOf(() => parse(fixture('bad_plugin'), 'flavours/x/block-device-default.yaml'));
    expect(error.name).toBe('ConfigError');
    expect(error.message).toMatch(/^flavours\/x\/block-device-default\.yaml:\d+: unknown node type "this_is_not_a_plugin_name"$/);
    expect(error.hint).toContain('local_loop, partitioning, lvm, mkfs, mount, fstab');
    expect(errorOf(() => parse('- locl_loop: {name: image0}\n')).hint).toMatch(/^did you mean "local_loop"\?/);
  });

  it('rejects an entry with more than one key', () => {
    expect(errorOf(() => parse(fixture('multi_key_node'))).message).toMatch(
      /test\.yaml:\d+: config entry has 2 keys \(mkfs, mount\); each entry must be a single node type/,
    );
  });

  it('rejects a list item that is not a mapping and a config that is not a list', () => {
    expect(errorOf(() => parse('- just a string\n')).message).toMatch(/config entry "just a string" is not a mapping/);
    expect(errorOf(() => parse('local_loop:\n  name: image0\n')).message).toMatch(/test\.yaml:1: the block-device config must be a YAML list/);
    expect(errorOf(() => parse('')).message).toBe('test.yaml: the block-device config is empty');
  });

  it('reports invalid YAML with its line', () => {
    expect(errorOf(() => parse('- local_loop:\n    name: [image0\n')).message).toMatch(/^test\.yaml:\d+: invalid YAML: /);
  });
});

describe('graph (test_config.py TestCreateGraph)', () => {
  it('rejects an edge to a missing node', () => {
    const error = errorOf(() => parse(fixture('bad_edge_graph')));
    expect(error.message).toMatch(/test\.yaml:\d+: mkfs "mkfs_root": base "this_is_not_a_node" is not a defined node \(edge this_is_not_a_node->mkfs_root\)/);
  });

  it('rejects a duplicate node name', () => {
    expect(errorOf(() => parse(fixture('duplicate_name'))).message).toMatch(
      /test\.yaml:\d+: duplicate node name "this_is_a_duplicate" \(first defined at line \d+\)/,
    );
  });

  it('calls the deep graph in exactly the order DIB does', () => {
    expect(parse(fixture('deep_graph')).callOrder).toEqual(['image0', 'root', 'mkfs_root', 'mount_mkfs_root', 'fstab_mount_mkfs_root']);
  });

  it('orders partitions as listed and each mkfs after its partition', () => {
    const order = parse(withRealUuids(fixture('multiple_partitions_graph'))).callOrder;
    const at = (name: string): number => order.indexOf(name);
    expect(at('root')).toBeLessThan(at('var'));
    expect(at('var')).toBeLessThan(at('var_log'));
    for (const part of ['root', 'var', 'var_log', 'swap']) expect(at(part)).toBeLessThan(at(`mkfs_${part}`));
    expect(at('mount_mkfs_root')).toBeLessThan(at('mount_mkfs_var'));
    expect(at('mount_mkfs_var')).toBeLessThan(at('mount_mkfs_var_log'));
  });
});

describe('mkfs checks (test_mkfs.py)', () => {
  it('rejects a filesystem label used twice', () => {
    expect(errorOf(() => parse(fixture('duplicate_fs_labels'))).message).toMatch(
      /test\.yaml:\d+: mkfs "mkfs_var": filesystem label "duplicate" used more than once \(also by mkfs "mkfs_root"\)/,
    );
  });

  it('rejects a label too long for xfs', () => {
    expect(errorOf(() => parse(fixture('too_long_fs_label'))).message).toMatch(
      /mkfs "mkfs_root": label "this_label_is_too_long_to_work_with_xfs" is too long for xfs: 39 > 12 characters/,
    );
  });

  it.each([
    ['ext4', 'a'.repeat(16), 'a'.repeat(17)],
    ['ext2', 'a'.repeat(16), 'a'.repeat(17)],
    ['xfs', 'a'.repeat(12), 'a'.repeat(13)],
    ['vfat', 'a'.repeat(11), 'a'.repeat(12)],
    ['swap', 'a'.repeat(16), 'a'.repeat(17)],
  ])('%s labels: %s fits, one more does not', (type, ok, tooLong) => {
    const config = (label: string): string =>
      `- local_loop: {name: image0}\n- partitioning: {base: image0, label: gpt, partitions: [` +
      `{name: root, size: 50%, mkfs: {name: mkfs_root, mount: {mount_point: /}}}, ` +
      `{name: data, size: 50%, mkfs: {name: fs, type: ${type}, label: ${label}, mount: {mount_point: ${type === 'swap' ? 'none' : '/data'}}}}]}\n`;
    expect(parse(config(ok)).filesystems.find((f) => f.name === 'fs')?.label).toBe(type === 'vfat' ? ok.toUpperCase() : ok);
    expect(errorOf(() => parse(config(tooLong))).message).toMatch(new RegExp(`too long for ${type}: ${tooLong.length} > ${ok.length} characters`));
  });

  it('upper-cases vfat labels as DIB does', () => {
    const config = parse(withRealUuids(fixture('multiple_partitions_tree')));
    expect(config.filesystems.find((f) => f.name === 'mkfs_var_log')?.label).toBe('VARLOG');
  });

  it('checks UUIDs, so mkfs never fails on one', () => {
    expect(errorOf(() => parse(fixture('multiple_partitions_graph'))).message).toMatch(
      /mkfs "mkfs_root": uuid "root-uuid-1234" is not valid for xfs/,
    );
    const vfat = '- local_loop: {name: image0}\n- partitioning: {base: image0, label: gpt, partitions: [{name: ESP, type: EF00, size: 8MiB, mkfs: {type: vfat, uuid: 1a2b3c4d, mount: {mount_point: /boot/efi}}}, {name: root, size: 100%, mkfs: {name: mkfs_root, mount: {mount_point: /}}}]}\n';
    expect(parse(vfat).filesystems[0]?.uuid).toBe('1A2B-3C4D');
  });

  it('rejects a filesystem type kiln cannot make', () => {
    expect(errorOf(() => parse('- local_loop: {name: image0}\n- mkfs: {name: x, base: image0, type: zfs}\n')).message).toMatch(
      /mkfs "x": unsupported filesystem type "zfs"/,
    );
  });
});

describe('root filesystem parameters (blockdevice.py init)', () => {
  const mbr = `- local_loop: {name: image0}
- partitioning:
    base: image0
    label: mbr
    partitions:
      - name: root
        flags: [boot, primary]
        size: 100%
        mkfs:
          mount: {mount_point: /, fstab: {options: defaults, fsck-passno: 1}}
`;

  it('gives mkfs_root FS_TYPE ext4, the cloudimg-rootfs label and ext4 journal options by default', () => {
    const fs = parseBlockDeviceConfig(mbr, 't').filesystems[0]!;
    expect([fs.name, fs.type, fs.label, fs.opts]).toEqual(['mkfs_root', 'ext4', 'cloudimg-rootfs', ['-i', '4096', '-J', 'size=64']]);
  });

  it('uses img-rootfs for xfs, --root-label and --mkfs-options', () => {
    expect(parseBlockDeviceConfig(mbr, 't', { fsType: 'xfs' }).filesystems[0]).toMatchObject({ type: 'xfs', label: 'img-rootfs', opts: [] });
    const fs = parseBlockDeviceConfig(mbr, 't', { label: 'myroot', mkfsOptions: '-O ^metadata_csum', journalMiB: 32 }).filesystems[0]!;
    expect([fs.label, fs.opts]).toEqual(['myroot', ['-i', '4096', '-J', 'size=32', '-O', '^metadata_csum']]);
  });

  it('never overrides what the config sets, and leaves nodes with other names alone', () => {
    const own = mbr.replace('mkfs:\n', 'mkfs:\n          type: btrfs\n          label: mine\n');
    expect(parseBlockDeviceConfig(own, 't', { fsType: 'xfs', label: 'x' }).filesystems[0]).toMatchObject({ type: 'btrfs', label: 'mine' });
    const other = mbr.replace('mkfs:\n', 'mkfs:\n          name: fs_root\n          type: ext4\n');
    expect(parseBlockDeviceConfig(other, 't', { fsType: 'xfs', label: 'x' }).filesystems[0]).toMatchObject({ type: 'ext4', label: 'fs_root', opts: [] });
  });

  it('fills the fallback config (no partition table)', () => {
    const config = parseBlockDeviceConfig(`- local_loop:\n    name: image0\n    mkfs:\n      name: mkfs_root\n      mount:\n        mount_point: /\n`, 't');
    expect(config.partitioning).toBeUndefined();
    expect(config.filesystems[0]).toMatchObject({ base: 'image0', type: 'ext4', label: 'cloudimg-rootfs' });
  });
});

describe('node checks', () => {
  const table = (partitions: string, label = 'mbr', extra = ''): string =>
    `- local_loop: {name: image0}\n- partitioning:\n    base: image0\n    label: ${label}\n${extra}    partitions:\n${partitions}`;
  const root = '      - name: root\n        size: 100%\n        mkfs: {name: mkfs_root, mount: {mount_point: /}}\n';

  it.each([
    ['the primary flag on GPT', table('      - {name: root, size: 100%, flags: [primary]}\n', 'gpt'), /partition "root": the primary flag is not supported for GPT partitions/],
    ['an unknown flag', table('      - {name: root, size: 100%, flags: [bootable]}\n'), /partition "root": unknown flag "bootable"/],
    ['a label other than mbr/gpt', table(root, 'dos'), /partitioning "partitioning_image0": label must be 'mbr' or 'gpt', got "dos"/],
    ['a partitioning without base', '- local_loop: {name: image0}\n- partitioning: {label: mbr, partitions: [{name: root, size: 1G}]}\n', /partitioning "partitioning": needs "base"/],
    ['a partition without size', table('      - {name: root}\n'), /partition "root": needs a "size"/],
    ['a bad size', table('      - {name: root, size: 10 parsecs}\n'), /partition "root": "size" is not a valid size: "10 parsecs"/],
    ['a percentage over 100', table('      - {name: root, size: 150%}\n'), /"size" is not a valid size: "150%"/],
    ['an unquoted MBR type', table('      - {name: root, size: 100%, type: 83}\n'), /MBR partition type must be a quoted hex string, got 83/],
    ['a two-byte MBR type', table("      - {name: root, size: 100%, type: 'EF00'}\n"), /MBR partition type "EF00" is not one hex byte/],
    ['an unknown GPT type', table("      - {name: root, size: 100%, type: 'ZZ00'}\n", 'gpt'), /unknown GPT partition type "ZZ00"/],
    ['a partition without a name', table('      - {size: 100%}\n'), /partitioning "partitioning_image0": a partition has no name/],
    ['a mkfs without type', '- local_loop: {name: image0}\n- mkfs: {name: fs, base: image0}\n', /mkfs "fs": needs "type"/],
    ['a mount without mount_point', '- local_loop: {name: image0, mkfs: {name: mkfs_root, mount: {}}}\n', /mount "mount_mkfs_root": needs "mount_point"/],
    ['a relative mount point', '- local_loop: {name: image0, mkfs: {name: mkfs_root, mount: {mount_point: var}}}\n', /mount_point "var" must be an absolute path/],
    ['a duplicate mount point', table(`${root}      - {name: b, size: 10MiB, flags: [primary], mkfs: {type: ext4, mount: {mount_point: /}}}\n`), /mount "mount_mkfs_b": mount point \/ specified more than once \(also by mount "mount_mkfs_root"\)/],
    ['a 4096-byte block size', '- local_loop: {name: image0, block_size: 4096}\n', /local_loop "image0": block_size 4096 is not supported/],
    ['a misspelt key', '- local_loop: {name: image0, mkfs: {name: mkfs_root, mount: {mount_point: /, fstab: {fck-passno: 1}}}}\n', /fstab "fstab_mount_mkfs_root": unknown key "fck-passno"/],
    ['a non-numeric fsck-passno', '- local_loop: {name: image0, mkfs: {name: mkfs_root, mount: {mount_point: /, fstab: {fsck-passno: one}}}}\n', /"fsck-passno" must be a whole number, got "one"/],
  ])('rejects %s', (_what, text, pattern) => {
    const error = errorOf(() => parse(text));
    expect(error.name).toBe('ConfigError');
    expect(error.message).toMatch(/^test\.yaml:\d+: /);
    expect(error.message).toMatch(pattern);
    expect(error.message).not.toContain('\n');
  });

  it('suggests the right key for a misspelt one', () => {
    expect(errorOf(() => parse('- local_loop: {name: image0, mkfs: {name: mkfs_root, mount: {mount_point: /, fstab: {fck-passno: 1}}}}\n')).hint)
      .toBe('did you mean "fsck-passno"?');
  });

  it('reads dump-freq/fsck-passno and dump_freq/fsck_passno, with DIB defaults', () => {
    const text = (fstab: string): string => `- local_loop: {name: image0, mkfs: {name: mkfs_root, mount: {mount_point: /, fstab: ${fstab}}}}\n`;
    expect(parse(text('{dump-freq: 1, fsck-passno: 1}')).fstab[0]).toMatchObject({ dumpFreq: 1, fsckPassno: 1, options: 'defaults' });
    expect(parse(text('{dump_freq: 1, fsck_passno: 0, options: "ro,noatime"}')).fstab[0]).toMatchObject({ dumpFreq: 1, fsckPassno: 0, options: 'ro,noatime' });
    expect(parse(text('{}')).fstab[0]).toMatchObject({ dumpFreq: 0, fsckPassno: 2 });
  });

  it('reads GPT types as sgdisk codes, including unquoted numbers as DIB does', () => {
    const config = parse(table(`      - {name: BSP, type: 'EF02', size: 8MiB}\n      - {name: data, type: 8300, size: 8MiB}\n${root}`, 'gpt'));
    expect(config.partitioning?.partitions.map((p) => p.type)).toEqual(['EF02', '8300', '8300']);
  });
});

describe('structure kiln needs', () => {
  it.each([
    ['two local_loops', '- local_loop: {name: a, mkfs: {name: mkfs_root, mount: {mount_point: /}}}\n- local_loop: {name: b}\n', /local_loop "b": kiln builds one disk image/],
    ['no local_loop', '- mkfs: {name: x, base: y, type: ext4}\n', /mkfs "x": base "y" is not a defined node/],
    ['nothing at /', '- local_loop: {name: image0, mkfs: {name: mkfs_root, mount: {mount_point: /srv}}}\n', /^test\.yaml: no filesystem is mounted at \//],
    ['a filesystem on a partitioned disk', '- local_loop: {name: image0, mkfs: {name: mkfs_root, mount: {mount_point: /}}}\n- partitioning: {base: image0, label: gpt, partitions: [{name: p, size: 100%}]}\n', /mkfs "mkfs_root": "image0" has a partition table/],
    ['a vfat root', '- local_loop: {name: image0, mkfs: {name: x, type: vfat, mount: {mount_point: /}}}\n', /mount "mount_x": the root filesystem cannot be vfat/],
    ['a mount inside a vfat filesystem', '- local_loop: {name: image0}\n- partitioning: {base: image0, label: gpt, partitions: [{name: root, size: 50%, mkfs: {name: mkfs_root, mount: {mount_point: /}}}, {name: e, size: 20%, mkfs: {type: vfat, mount: {mount_point: /boot/efi}}}, {name: f, size: 20%, mkfs: {type: ext4, mount: {mount_point: /boot/efi/x}}}]}\n', /mount "mount_mkfs_f": \/boot\/efi\/x lies inside the vfat filesystem at \/boot\/efi/],
    ['a mount on a partition', '- local_loop: {name: image0}\n- partitioning: {base: image0, label: gpt, partitions: [{name: root, size: 100%, mount: {mount_point: /}}]}\n', /mount "mount_root": base "root" is not a mkfs node/],
  ])('rejects %s', (_what, text, pattern) => {
    expect(errorOf(() => parse(text)).message).toMatch(pattern);
  });
});

/** A config with one MBR partition as the pv of vg, and the given lvs. */
const lvm = (lvs: string, vgBase = '["pv"]'): string => `- local_loop: {name: image0}
- partitioning:
    base: image0
    label: mbr
    partitions: [{name: root, flags: [boot, primary], size: 3G}]
- lvm:
    name: lvm
    pvs: [{name: pv, base: root}]
    vgs: [{name: vg, base: ${vgBase}}]
    lvs: [${lvs}]
`;

describe('LVM (test_lvm.py): validated like DIB, built only in the build VM', () => {
  it.each([
    ['a vg on a missing pv', lvm('{name: lv_root, base: vg, size: 1G}', '["invalid_pv"]'), /lvm "lvm": base:invalid_pv in vgs does not match a valid pvs/],
    ['an lv on a missing vg', lvm('{name: lv_root, base: ["invalid_vg"], size: 1G}'), /lvm "lvm": base:\["invalid_vg"\] in lvs does not match a valid vg/],
    ['an lv without size', lvm('{name: lv_root, base: vg}'), /lvm "lvm": missing 'size' or 'extents' in lvs config/],
    ['an unknown lv type', lvm('{name: lv_root, base: vg, size: 1G, type: thin-pol}'), /lvm "lvm": unsupported type:thin-pol, supported types: thin, thin-pool/],
  ])('rejects %s with DIB\'s message', (_what, text, pattern) => {
    expect(errorOf(() => parse(text)).message).toMatch(pattern);
  });

  it('refuses an LVM config on the build host, naming --vm; accepts it for the build VM', () => {
    const config = parse(fixture('lvm_tree'), 'DIB_BLOCK_DEVICE_CONFIG');
    expect(config.lvm.map((l) => l.name)).toEqual(['lvm_mbr']);
    const onHost = errorOf(() => checkKernelSupport(config, 'host', { deviceMapper: true, builderVm: false }));
    expect(onHost.message).toMatch(/^DIB_BLOCK_DEVICE_CONFIG:\d+: lvm "lvm_mbr": kiln builds LVM layouts only in its build VM, not on the build host$/);
    expect(onHost.hint).toMatch(/add --vm/);
    expect(() => checkKernelSupport(config, 'vm')).not.toThrow();
    expect(() => checkKernelSupport(config, 'vm', { deviceMapper: true, builderVm: true })).not.toThrow();
    expect(errorOf(() => checkKernelSupport(config, 'vm', { deviceMapper: false, builderVm: true })).message).toMatch(/LVM needs device-mapper, which this kernel lacks/);
  });

  it('accepts configs without LVM anywhere', () => {
    expect(() => checkKernelSupport(parse(fixture('deep_tree')), 'host', { deviceMapper: false, builderVm: false })).not.toThrow();
  });

  it('refuses a partition that is both a physical volume and a filesystem, and a second lvm node', () => {
    const both = lvm('{name: lv_root, base: vg, size: 1G}') + '- mkfs: {name: fs_x, base: root, type: ext4, mount: {mount_point: /}}\n';
    expect(errorOf(() => parse(both)).message).toMatch(/mkfs "fs_x": partition "root" is the physical volume "pv"; make the filesystem on a logical volume/);
    const onLv = lvm('{name: lv_root, base: vg, size: 1G}') + '- mkfs: {name: fs_root, base: lv_root, type: xfs, mount: {mount_point: /}}\n';
    expect(parse(onLv).filesystems[0]?.base).toBe('lv_root');
  });
});

describe('LVM commands (test_lvm.py): what DIB runs, argument for argument', () => {
  const devices = { root: '/dev/loop0p1', data: '/dev/loop0p2', data1: '/dev/loop0p2', data2: '/dev/loop0p3' };

  it('creates two pvs, one vg on both and six lvs with sizes floored to 4 MiB extents (multi-pv)', () => {
    const config = parse(fixture('lvm_tree_multiple_pv'));
    expect(lvmCreateCommands(config.lvm[0]!, devices)).toEqual([
      ['pvcreate', '/dev/loop0p1', '--force'],
      ['pvcreate', '/dev/loop0p2', '--force'],
      ['vgcreate', 'vg', '/dev/loop0p1', '/dev/loop0p2', '--force'],
      ['lvcreate', '--name', 'lv_root', '-L', '1799356416B', 'vg'],
      ['lvcreate', '--name', 'lv_tmp', '-L', '96468992B', 'vg'],
      ['lvcreate', '--name', 'lv_var', '-L', '499122176B', 'vg'],
      ['lvcreate', '--name', 'lv_log', '-L', '96468992B', 'vg'],
      ['lvcreate', '--name', 'lv_audit', '-L', '96468992B', 'vg'],
      ['lvcreate', '--name', 'lv_home', '-L', '197132288B', 'vg'],
    ]);
    expect(lvmReleaseCommands(config.lvm[0]!)).toEqual([['vgchange', '-an', 'vg']]);
  });

  it('passes extents verbatim and makes thin pools and thin volumes', () => {
    const config = parse(lvm([
      '{name: lv_thinpool, base: vg, type: thin-pool, size: 2800MiB}',
      '{name: lv_root, base: vg, type: thin, thin-pool: lv_thinpool, size: 1800MiB, options: ["--zero", "n"]}',
      '{name: lv_var, base: vg, extents: 28%VG}',
    ].join(', ')) + '- mkfs: {name: fs_root, base: lv_root, type: xfs, mount: {mount_point: /}}\n');
    expect(lvmCreateCommands(config.lvm[0]!, devices).slice(2)).toEqual([
      ['lvcreate', '--name', 'lv_thinpool', '--type', 'thin-pool', '-L', '2936012800B', 'vg'],
      ['lvcreate', '--name', 'lv_root', '--type', 'thin', '--thin-pool', 'lv_thinpool', '-V', '1887436800B', '--zero', 'n', 'vg'],
      ['lvcreate', '--name', 'lv_var', '-l', '28%VG', 'vg'],
    ]);
    expect(errorOf(() => parse(lvm('{name: lv_root, base: vg, type: thin, size: 1G}'))).message).toMatch(/lv "lv_root" of type thin needs 'thin-pool'/);
  });

  it('names logical volume devices as device-mapper does (dashes doubled)', () => {
    expect(lvDevice('vg', 'lv_root')).toBe('/dev/mapper/vg-lv_root');
    expect(lvDevice('my-vg', 'root-fs')).toBe('/dev/mapper/my--vg-root--fs');
  });
});

it('throws ConfigError (a UsageError, exit code 2) for every config problem', () => {
  try {
    parse(fixture('bad_plugin'));
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).exitCode).toBe(2);
    return;
  }
  throw new Error('no error');
});
