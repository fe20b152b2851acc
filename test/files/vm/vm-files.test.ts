// The VM runner's pieces that work on real files and tools without root: the KVM probe under
// QEMU's software emulation (the real boot sector, the real exit status), what of kiln goes
// into the builder image, the cache files handed from the guest to the host, and the outputs
// put in place.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nullLog } from '../../../lib/log.js';
import { selfIdentity } from '../../../lib/resources/process-identity.js';
import { OWNER_MARKER } from '../../../lib/resources/temp-dir.js';
import { runProbe } from '../../../lib/vm/accel.js';
import { builderKey } from '../../../lib/vm/builder-image.js';
import { exportCacheAdditions, importCacheAdditions } from '../../../lib/vm/cache-sync.js';
import { kilnRoot, packageEntries, productionPackages } from '../../../lib/vm/kiln-bundle.js';
import { clearVmLeftovers, INCOMING_FOLDER } from '../../../lib/vm/leftovers.js';
import { placeOutputs } from '../../../lib/vm/outputs.js';
import { tempDir, writeTree } from '../../helpers/tree.js';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => (tmp = tempDir()));
afterEach(() => tmp.cleanup());

describe('the KVM probe', () => {
  it('finishes its test guest under software emulation (the exit status only the guest can cause)', async () => {
    expect(await runProbe('tcg', tmp.path, 20_000)).toBeUndefined();
  });

  it('reports a guest that does not finish in time', async () => {
    // 1 ms is not enough for QEMU even to start.
    expect(await runProbe('tcg', tmp.path, 1)).toMatch(/did not finish within 0.001 s under TCG/);
  });
});

describe('kiln in the builder image', () => {
  it('takes the published files and the production dependencies, none of the dev ones', () => {
    const root = kilnRoot();
    expect(packageEntries(root)).toEqual(expect.arrayContaining(['package.json', 'bin', 'dist', 'flavours', 'sudoers.d']));
    const packages = productionPackages(root);
    for (const dep of Object.keys((JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies)) {
      expect(packages).toContain(`node_modules/${dep}`);
    }
    expect(packages.filter((p) => /node_modules\/(vitest|typescript|playwright-core|@types\/node)$/.test(p))).toEqual([]);
  });

  it('is keyed by kiln\'s files: the same kiln gives the same key', () => {
    expect(builderKey()).toMatch(/^[0-9a-f]{20}$/);
    expect(builderKey()).toBe(builderKey());
  });
});

describe('cache files from the guest', () => {
  it('copies what the build added (not whiteouts, locks or partial files) and moves it into the cache, metadata last', async () => {
    const upper = join(tmp.path, 'upper');
    writeTree(upper, {
      'layers/abc.tar.zst': 'layer', 'layers/abc.json': '{}', 'layers/def.tar.zst.212.partial': 'half', '.lock': '212',
      'apt/archives/x.deb': 'deb', 'outputs/k/qcow2': 'img', 'outputs/k/meta.json': '{}',
    });
    const incoming = join(tmp.path, 'cache', INCOMING_FOLDER, 'kiln-vm-import.1.abcdef');
    mkdirSync(incoming, { recursive: true });
    expect(await exportCacheAdditions(upper, incoming, nullLog)).toBe(5);
    const cache = join(tmp.path, 'cache');
    writeTree(cache, { 'layers/abc.tar.zst': 'older copy' });
    const moved = await importCacheAdditions(incoming, cache, nullLog);
    expect(moved.slice(-2).every((p) => p.endsWith('.json'))).toBe(true);
    expect(moved.sort()).toEqual(['apt/archives/x.deb', 'layers/abc.json', 'layers/abc.tar.zst', 'outputs/k/meta.json', 'outputs/k/qcow2']);
    expect(readFileSync(join(cache, 'layers/abc.tar.zst'), 'utf8')).toBe('layer');
    expect(existsSync(join(cache, 'layers/def.tar.zst.212.partial'))).toBe(false);
    expect(existsSync(join(cache, '.lock'))).toBe(false);
    expect(existsSync(incoming)).toBe(false);
  });

  it('clears the import folders of builds that were killed, and only those', async () => {
    const parent = join(tmp.path, INCOMING_FOLDER);
    writeTree(parent, { 'kiln-vm-import.999999999.abcdef/layers/x': 'x', [`kiln-vm-import.${process.pid}.ghijkl/layers/y`]: 'y' });
    // Kiln's temp folders are private and carry their maker's identity (resources/leftovers.ts).
    for (const [name, pid] of [['kiln-vm-import.999999999.abcdef', 999999999], [`kiln-vm-import.${process.pid}.ghijkl`, process.pid]] as const) {
      chmodSync(join(parent, name), 0o700);
      writeFileSync(join(parent, name, OWNER_MARKER), JSON.stringify({ ...selfIdentity(), pid }));
    }
    const cleared = await clearVmLeftovers(tmp.path, nullLog);
    expect(cleared.map((c) => c.pid)).toEqual([999999999]);
    expect(readdirSync(parent)).toEqual([`kiln-vm-import.${process.pid}.ghijkl`]);
  });
});

describe('outputs of the guest', () => {
  it('go where a host build puts them, replacing older ones; partial files stay behind', async () => {
    const out = join(tmp.path, 'out');
    writeTree(out, { 'web.qcow2': 'image', 'web.qcow2.sha256': 'sum', 'web.vmlinuz': 'kernel', '.web.raw.kiln-partial': 'half' });
    const dest = join(tmp.path, 'dest');
    writeTree(dest, { 'web.qcow2': 'old' });
    expect(await placeOutputs(out, dest, nullLog)).toEqual(['web.qcow2', 'web.qcow2.sha256', 'web.vmlinuz'].map((n) => join(dest, n)));
    expect(readFileSync(join(dest, 'web.qcow2'), 'utf8')).toBe('image');
    expect(readdirSync(dest).sort()).toEqual(['web.qcow2', 'web.qcow2.sha256', 'web.vmlinuz']);
  });
});
