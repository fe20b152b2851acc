// Reproducible images end to end: two `debian vm` builds from scratch (--no-cache) with the same
// SOURCE_DATE_EPOCH write byte-identical tar, squashfs, raw and qcow2 outputs, manifests and
// SBOMs; the SBOMs validate (CycloneDX with the CycloneDX library's own validator, SPDX for every
// field SPDX 2.3 requires) and list every package with the version dpkg-query reports inside the
// image; a third build with another SOURCE_DATE_EPOCH differs and kiln-diff calls it timestamps
// only; the deploy ramdisk pair passes --check-reproducible. Each build prints its time.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, hostState, isRoot, kiln } from '../helpers/host.js';
import { e2eCache } from '../helpers/e2e.js';
import { cyclonedxErrors, spdxProblems } from '../helpers/sbom.js';

const EPOCH = 1700000000;
const FILES = ['tar', 'squashfs', 'raw', 'qcow2', 'manifest.json', 'spdx.json', 'cdx.json', 'd/dib-manifests/dib-manifest-dpkg-NAME'];

describe.skipIf(!isRoot)('reproducible images (e2e)', () => {
  let out: string;
  const before = hostState();

  /** A `debian vm` build from scratch; returns the output base name. */
  async function build(name: string, epoch: number, types: string): Promise<string> {
    const started = Date.now();
    const result = await kiln('disk-image-create', ['--no-cache', '--source-date-epoch', String(epoch), '-t', types, '-o', join(out, name), '--image-cache', e2eCache(), 'debian', 'vm']);
    expect(result.code, result.stderr.slice(-3000)).toBe(0);
    console.log(`${name}: disk-image-create --no-cache -t ${types} ${((Date.now() - started) / 1000).toFixed(0)} s`);
    return join(out, name);
  }
  const file = (base: string, kind: string): string => kind.startsWith('d/') ? `${base}.${kind.replace('NAME', 'same')}` : `${base}.${kind}`;

  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), 'kiln-e2e-repro-'));
    // Both written as `same` (in two folders): the name is part of some files (dib-manifests).
    mkdirSync(join(out, 'one'));
    mkdirSync(join(out, 'two'));
    // At once: on two cores three builds take about twice one (much of a build waits on one
    // core or on the disk), and two builds side by side must still agree byte for byte.
    await Promise.all([
      build('one/same', EPOCH, 'tar,squashfs,raw,qcow2'),
      build('two/same', EPOCH, 'tar,squashfs,raw,qcow2'),
      build('three', EPOCH + 86400, 'tar,qcow2'),
    ]);
  });
  afterAll(() => {
    rmSync(out, { recursive: true, force: true });
    expect(hostState()).toEqual(before);
  });

  it('two builds from scratch with one SOURCE_DATE_EPOCH write the same bytes: outputs, manifest, SBOMs', () => {
    for (const kind of FILES) {
      const a = file(join(out, 'one/same'), kind);
      const b = file(join(out, 'two/same'), kind);
      expect(existsSync(a), a).toBe(true);
      const cmp = spawnSync('cmp', [a, b], { encoding: 'utf8' });
      expect(cmp.status, `${kind}: ${cmp.stdout}${cmp.stderr}`).toBe(0);
    }
  });

  it('the SBOMs validate and list every package with the version dpkg-query reports inside the image', async () => {
    const base = join(out, 'one/same');
    const cdx = readFileSync(`${base}.cdx.json`, 'utf8');
    expect(await cyclonedxErrors(cdx)).toBeNull();
    const spdx = JSON.parse(readFileSync(`${base}.spdx.json`, 'utf8')) as Record<string, any>;
    expect(spdxProblems(spdx)).toEqual([]);
    // dpkg-query run inside the image, from the tar output unpacked.
    const root = join(out, 'root');
    mkdirSync(root);
    execFileSync('tar', ['--extract', '--file', `${base}.tar`, '--directory', root, '--numeric-owner']);
    const installed = execFileSync('chroot', [root, 'dpkg-query', '--show', '--showformat', '${db:Status-Status} ${Package} ${Version} ${Architecture}\\n'])
      .toString().split('\n').filter((l) => l.startsWith('installed ')).map((l) => l.split(' ').slice(1).join(' ')).sort();
    expect(installed.length).toBeGreaterThan(100);
    const components = (JSON.parse(cdx) as { components: { name: string; version: string; properties: { name: string; value: string }[] }[] }).components;
    const fromCdx = components.map((c) => `${c.name} ${c.version} ${c.properties.find((p) => p.name === 'kiln:deb:architecture')!.value}`).sort();
    expect(fromCdx).toEqual(installed);
    const debs = spdx.packages.filter((p: any) => p.SPDXID.startsWith('SPDXRef-Package-deb-'));
    expect(debs.map((p: any) => `${p.name} ${p.versionInfo} ${/architecture ([^;\s]+)/.exec(p.comment)![1]}`).sort()).toEqual(installed);
    // Debian declares licenses in machine-readable copyright files for most packages.
    expect(debs.filter((p: any) => p.licenseDeclared !== 'NOASSERTION').length).toBeGreaterThan(debs.length / 2);
    const kernel = components.find((c) => c.name.startsWith('linux-image-') && !c.name.endsWith('-amd64-unsigned') && /\d/.test(c.name))!;
    expect(kernel.properties).toEqual(expect.arrayContaining([{ name: 'kiln:flavour', value: 'bootloader' }]));
  });

  it('the manifest names the inputs, the hooks, and where each package came from', () => {
    const manifest = JSON.parse(readFileSync(join(out, 'one/same.manifest.json'), 'utf8')) as Record<string, any>;
    expect(manifest.inputs.sourceDateEpoch).toBe(EPOCH);
    expect(manifest.inputs.flavours.map((f: any) => f.name)).toEqual(expect.arrayContaining(['debian', 'vm', 'bootloader', 'base']));
    expect(manifest.inputs.flavours.every((f: any) => /^[0-9a-f]{64}$/.test(f.sha256))).toBe(true);
    expect(manifest.inputs.aptSources[0]).toMatchObject({ uris: ['http://deb.debian.org/debian'], suites: expect.arrayContaining(['bookworm']) });
    expect(manifest.hooks.find((h: any) => h.hook === '05-bootloader-packages')).toMatchObject({ phase: 'install.d', flavour: 'bootloader', ran: true });
    const libc = manifest.packages.find((p: any) => p.name === 'libc6');
    expect(libc).toMatchObject({ architecture: 'amd64', source: 'glibc', installedBy: 'root.d/10-debian-bootstrap (debian)' });
    expect(libc.repositories.some((r: string) => r.startsWith('http://deb.debian.org/'))).toBe(true);
    const grub = manifest.packages.find((p: any) => p.name === 'grub-pc-bin');
    expect(grub.installedBy).toBe('install.d/05-bootloader-packages (bootloader)');
    const dib = readFileSync(join(out, 'one/same.d/dib-manifests/dib-element-manifest'), 'utf8');
    expect(dib.split('\n')).toEqual(expect.arrayContaining(['debian', 'vm']));
  });

  it('another SOURCE_DATE_EPOCH gives other bytes, and kiln-diff says: timestamps only', async () => {
    const third = join(out, 'three');
    for (const kind of ['tar', 'qcow2']) {
      const diff = spawnSync(bin('kiln-diff'), [`${join(out, 'one/same')}.${kind}`, `${third}.${kind}`], { encoding: 'utf8' });
      expect(diff.status, diff.stderr).toBe(1);
      expect(diff.stdout, kind).toMatch(/verdict: timestamps only: \d+ times differ/);
      console.log(`kiln-diff ${kind}: ${/verdict: .*/.exec(diff.stdout)![0]}`);
    }
  });

  it('the deploy ramdisk pair passes --check-reproducible', async () => {
    const started = Date.now();
    const result = await kiln('ramdisk-image-create', ['--check-reproducible', '--source-date-epoch', String(EPOCH), '-o', join(out, 'deploy'), '--image-cache', e2eCache(), 'debian', 'deploy']);
    expect(result.code, result.stderr.slice(-3000)).toBe(0);
    expect(result.stderr).toContain('reproducible: both builds wrote the same bytes for every output and description of deploy');
    expect(existsSync(join(out, 'deploy.initramfs'))).toBe(true);
    expect(readFileSync(join(out, 'deploy.cdx.json'), 'utf8')).toContain('"bomFormat": "CycloneDX"');
    console.log(`deploy: ramdisk-image-create --check-reproducible ${((Date.now() - started) / 1000).toFixed(0)} s`);
  });
});
