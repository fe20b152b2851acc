// The VM runner's pieces that work on real files and tools without root: the KVM probe under
// QEMU's software emulation (the real boot sector, the real exit status), what of kiln goes
// into the builder image, the cache files handed from the guest to the host, and the outputs
// across the transport disk and put in place.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
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
import { readTransport, writeTransport } from '../../../lib/vm/output-transport.js';
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
  it('cross the transport disk whole: sparse images stay sparse, modes, times and the NAME.d folder kept', async () => {
    const staged = join(tmp.path, 'staged');
    writeTree(staged, { 'web.qcow2.sha256': 'sum  web.qcow2\n', 'web.d/dib-manifests/dib_environment': 'export DIB_RELEASE=bookworm\n', '.web.raw.kiln-partial.x': 'half' });
    // 40 MiB with data at the start and at 20 MiB, holes elsewhere, ending in a hole.
    const raw = join(staged, 'web.raw');
    execFileSync('dd', [`of=${raw}`, 'if=/dev/urandom', 'bs=1M', 'count=1', 'status=none']);
    execFileSync('dd', [`of=${raw}`, 'if=/dev/urandom', 'bs=1M', 'count=1', 'seek=20', 'conv=notrunc', 'status=none']);
    truncateSync(raw, 40 * 1024 * 1024);
    chmodSync(join(staged, 'web.qcow2.sha256'), 0o600);
    utimesSync(raw, 1_700_000_000, 1_700_000_000);
    const device = join(tmp.path, 'transport.raw');
    execFileSync('truncate', ['-s', '1G', device]);
    const files = await writeTransport(staged, device, nullLog, new AbortController().signal);
    expect(files.map((f) => f.name)).toEqual(['web.d/dib-manifests/dib_environment', 'web.qcow2.sha256', 'web.raw']);
    // The guest wrote only the data: the transport file stays sparse.
    expect(statSync(device).blocks * 512).toBeLessThan(4 * 1024 * 1024);

    const out = join(tmp.path, 'out');
    mkdirSync(out);
    await readTransport(device, files, out, nullLog, new AbortController().signal);
    for (const name of files.map((f) => f.name)) expect(readFileSync(join(out, name)).equals(readFileSync(join(staged, name))), name).toBe(true);
    expect(statSync(join(out, 'web.raw')).size).toBe(40 * 1024 * 1024);
    expect(statSync(join(out, 'web.raw')).blocks * 512).toBeLessThan(4 * 1024 * 1024);
    expect(statSync(join(out, 'web.raw')).mtimeMs).toBe(1_700_000_000_000);
    expect(statSync(join(out, 'web.qcow2.sha256')).mode & 0o777).toBe(0o600);

    const dest = join(tmp.path, 'dest');
    writeTree(dest, { 'web.raw': 'old' });
    expect(await placeOutputs(out, files.map((f) => ({ name: f.name, target: join(dest, f.name) })), nullLog)).toEqual(files.map((f) => join(dest, f.name)));
    expect(readFileSync(join(dest, 'web.d/dib-manifests/dib_environment'), 'utf8')).toBe('export DIB_RELEASE=bookworm\n');
    expect(statSync(join(dest, 'web.raw')).size).toBe(40 * 1024 * 1024);
  });

  it('the host takes nothing from a list it cannot trust, and writes nothing then', async () => {
    const device = join(tmp.path, 'transport.raw');
    execFileSync('truncate', ['-s', '4M', device]);
    const out = join(tmp.path, 'out');
    mkdirSync(out);
    const bad = [{ name: '../escape', offset: 0, bytes: 1, mode: 0o644, mtimeMs: 0 }];
    await expect(readTransport(device, bad, out, nullLog, new AbortController().signal)).rejects.toThrow(/outputs kiln cannot take: the output name "..\/escape"/);
    expect(readdirSync(tmp.path).sort()).toEqual(['out', 'transport.raw']);
    expect(readdirSync(out)).toEqual([]);
  });
});
