// Every configuration error a build can raise before its hooks run is raised by the dry run too,
// with exit code 2 and the same message: broken block-device configs, bad option values and
// flavour sets that cannot work, each fed to `--dry-run` and to a real build. A build that got
// past resolution would fail later with another message (root.d here leaves the root empty), so
// a check only the executor made would show up as a difference.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { join } from 'node:path';
import { main } from '../../../lib/cli/disk-image-create.js';
import { hook, tempDir, writeTree, type TreeEntry } from '../../helpers/tree.js';

let tmp: ReturnType<typeof tempDir>;
let stderr = '';

beforeEach(() => {
  tmp = tempDir();
  writeTree(tmp.path, {
    'fl/os/flavour-provides': 'operating-system\n',
    'fl/os/root.d/10-os': hook('true'),
    'fl/os/bin/install-packages': hook('true'),
    'fl/app/flavour-deps': 'os\n',
    'fl/app/install.d/50-app': hook(),
    'fl/other-os/flavour-provides': 'operating-system\n',
    'fl/plain/README.md': 'no install-packages here\n',
  });
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  tmp.cleanup();
});

const MBR = (partitions: string) => `- local_loop: {name: image0}
- partitioning:
    base: image0
    label: mbr
    partitions:
${partitions}`;
const ROOT = `      - name: root
        flags: [boot, primary]
        size: 100%
        mkfs: {name: mkfs_root, type: ext4, mount: {mount_point: /}}`;

interface Case {
  args?: string[];
  env?: Record<string, string>;
  files?: Record<string, TreeEntry>;
  flavours?: string[];
  expected: RegExp;
}

const CASES: Record<string, Case> = {
  'a misspelt key': { env: { DIB_BLOCK_DEVICE_CONFIG: '- local_loop: {name: image0, sizee: 1G}' }, expected: /DIB_BLOCK_DEVICE_CONFIG:1: local_loop "image0": unknown key "sizee"\nhint: did you mean "size"\?/ },
  'YAML that does not parse': { env: { DIB_BLOCK_DEVICE_CONFIG: '- local_loop: {name: image0' }, expected: /^disk-image-create: DIB_BLOCK_DEVICE_CONFIG:1: invalid YAML/ },
  'an unknown node type': { env: { DIB_BLOCK_DEVICE_CONFIG: '- local_lop: {name: image0}' }, expected: /unknown node type "local_lop"\nhint: did you mean "local_loop"/ },
  'no local_loop node': { env: { DIB_BLOCK_DEVICE_CONFIG: '- mkfs: {name: mkfs_root, base: image0, type: ext4}' }, expected: /mkfs "mkfs_root": base "image0" is not a defined node/ },
  'an unknown filesystem type': { env: { DIB_BLOCK_DEVICE_CONFIG: MBR(ROOT.replace('type: ext4', 'type: ext5')) }, expected: /DIB_BLOCK_DEVICE_CONFIG:9: mkfs "mkfs_root": unsupported filesystem type "ext5"/ },
  'a partition size that is no size': { env: { DIB_BLOCK_DEVICE_CONFIG: MBR(ROOT.replace('size: 100%', 'size: lots')) }, expected: /partition "root": "size" is not a valid size: "lots"/ },
  'a config file that does not exist': { env: { DIB_BLOCK_DEVICE_CONFIG: 'file:///nonexistent/layout.yaml' }, expected: /\/nonexistent\/layout\.yaml: cannot read the block-device config: does not exist/ },
  'no filesystem mounted at /': { env: { DIB_BLOCK_DEVICE_CONFIG: MBR(ROOT.replace('mount_point: /', 'mount_point: /srv')) }, expected: /DIB_BLOCK_DEVICE_CONFIG: no filesystem is mounted at \//},
  'an LVM layout on the build host': {
    env: { DIB_BLOCK_DEVICE_CONFIG: `${MBR(ROOT.replace(/mkfs: .*/, 'type: "8e"'))}\n- lvm: {name: lvm, base: [root], pvs: [{name: pv, base: root}], vgs: [{name: vg, base: [pv]}], lvs: [{name: lv_root, base: vg, size: 1G}]}\n- mkfs: {name: fs_root, base: lv_root, type: ext4, mount: {mount_point: /}}` },
    expected: /lvm "lvm": kiln builds LVM layouts only in its build VM, not on the build host\nhint: add --vm/,
  },
  'five primary MBR partitions': {
    env: { DIB_BLOCK_DEVICE_CONFIG: MBR([1, 2, 3, 4].map((n) => `      - {name: p${n}, flags: [primary], size: 10MiB}`).join('\n') + `\n${ROOT}`) },
    args: ['--image-size', '1G'], expected: /at most 4 primary partitions/,
  },
  'partitions bigger than --image-size': { env: { DIB_BLOCK_DEVICE_CONFIG: MBR(`      - {name: big, flags: [primary], size: 2GiB}\n${ROOT}`) }, args: ['--image-size', '1G'], expected: /partition "big" \(2GiB\) does not fit: it needs 2.0 GiB but only 1023 MiB are left on the 1.0 GiB image/ },
  'a size that is no size': { args: ['--image-size', '2X'], expected: /^disk-image-create: --image-size "2X" is not a size\n/ },
  'DIB_JOURNAL_SIZE that is no number': { env: { DIB_JOURNAL_SIZE: 'abc' }, expected: /^disk-image-create: DIB_JOURNAL_SIZE "abc" is not a whole number of MiB/ },
  'a flavour that sets DIB_JOURNAL_SIZE to no number': { files: { 'fl/app/environment.d/10-journal': 'DIB_JOURNAL_SIZE=big\n' }, expected: /DIB_JOURNAL_SIZE "big" is not a whole number of MiB/ },
  'SOURCE_DATE_EPOCH that is no time': { env: { SOURCE_DATE_EPOCH: 'yesterday' }, expected: /^disk-image-create: SOURCE_DATE_EPOCH "yesterday"/ },
  'an unknown output type': { args: ['-t', 'iso'], expected: /unknown output type "iso"/ },
  'an unknown flavour': { flavours: ['ap'], expected: /flavour "ap" not found/ },
  'two operating systems': { flavours: ['app', 'other-os'], expected: /"operating-system" is provided by both/ },
  'two flavours shipping the same bin/ file': { files: { 'fl/app/bin/install-packages': hook('false') }, expected: /bin\/install-packages exists in flavour "(os|app)" and in flavour "(os|app)"/ },
  'two flavours shipping the same static/ file': {
    files: { 'fl/app/static/etc/motd': 'a\n', 'fl/os/static/etc/motd': 'b\n', 'fl/os/static/etc/issue': 'c\n' },
    expected: /static\/etc\/motd exists in flavour "(os|app)" and in flavour "(os|app)"/,
  },
  '-p without an install-packages': { flavours: ['plain', 'other-os'], args: ['-p', 'vim'], expected: /--packages needs an operating-system flavour that provides bin\/install-packages/ },
  'an environment.d file in two flavours': { files: { 'fl/app/environment.d/10-x': 'A=1\n', 'fl/os/environment.d/10-x': 'B=2\n' }, expected: /environment\.d\/10-x exists in flavour/ },
};

describe('the dry run raises every error the build would, with the same message', () => {
  const run = async (c: Case, dryRun: boolean): Promise<{ code: number; stderr: string }> => {
    stderr = '';
    const out = join(tmp.path, 'out');
    const args = ['--flavours-path', join(tmp.path, 'fl'), '--image-cache', join(tmp.path, 'cache'), '-n', '-o', out, ...(dryRun ? ['--dry-run'] : [])];
    const code = await main([...args, ...(c.args ?? []), ...(c.flavours ?? ['app'])]);
    return { code, stderr };
  };

  it.each(Object.entries(CASES))('%s', async (_, c) => {
    if (c.files) writeTree(tmp.path, c.files);
    for (const [name, value] of Object.entries(c.env ?? {})) vi.stubEnv(name, value);
    const dry = await run(c, true);
    const build = await run(c, false);
    expect(dry.stderr).toMatch(c.expected);
    expect(dry.stderr.split('\n').filter(Boolean).length).toBeLessThanOrEqual(2);
    expect(dry.code).toBe(2);
    expect(build).toEqual(dry);
  });

  it('covers at least 15 broken configurations', () => {
    expect(Object.keys(CASES).length).toBeGreaterThanOrEqual(15);
  });
});
