// The executor builds from the resolved build alone: a resolved build is turned into JSON and back,
// then the block-device config file it was resolved from is broken, and the build still makes the
// disk the plan describes. Anything the executor read or parsed again would fail or differ.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildRequest } from '../../lib/config/parse-options.js';
import { executeBuild } from '../../lib/engine/execute.js';
import { resolveBuild, type ResolvedBuild } from '../../lib/plan/resolved-build.js';
import { fixtures, isRoot, leakCheckedFolder } from '../helpers/host.js';

const GPT_LAYOUT = `- local_loop: {name: image0}
- partitioning:
    base: image0
    label: gpt
    partitions:
      - {name: BSP, type: 'EF02', size: 8MiB}
      - name: root
        type: '8300'
        size: 100%
        mkfs: {name: mkfs_root, type: ext4, label: planned-root, mount: {mount_point: /}}
`;

describe.skipIf(!isRoot)('a build from the resolved build alone (root)', () => {
  const folder = leakCheckedFolder('kiln-resolved-');

  it('makes the disk the plan describes, though the config it came from is now broken', async () => {
    const out = folder.path;
    const layout = join(out, 'layout.yaml');
    writeFileSync(layout, GPT_LAYOUT);
    const env = { ...process.env, DIB_BLOCK_DEVICE_CONFIG: `file://${layout}` };
    const cli = { skipBase: true, types: ['raw'], imageSizeBytes: '200M', imageName: join(out, 'disk'), flavoursPath: fixtures, imageCache: join(out, 'cache'), noCache: true };
    const resolved = await resolveBuild(buildRequest('disk', ['fake-os'], cli, env, out));
    const copy = JSON.parse(JSON.stringify(resolved)) as ResolvedBuild;
    expect(copy).toEqual(resolved);
    expect(copy.disk?.partitions.map((p) => [p.number, p.name, p.bytes])).toEqual([[1, 'BSP', 8 * 1024 ** 2], [2, 'root', expect.any(Number)]]);

    writeFileSync(layout, '- this is: [not a layout');
    const controller = new AbortController();
    expect(await executeBuild(copy, { signal: controller.signal, forceSignal: controller.signal, debug: false })).toBe(0);

    const table = JSON.parse(execFileSync('sfdisk', ['-J', join(out, 'disk.raw')]).toString()) as { partitiontable: { label: string; partitions: { size: number }[] } };
    expect(table.partitiontable.label).toBe('gpt');
    expect(table.partitiontable.partitions.map((p) => p.size * 512)).toEqual(copy.disk!.partitions.map((p) => p.bytes));
  });
});
