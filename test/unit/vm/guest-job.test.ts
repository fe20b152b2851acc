// What the build VM gets (pure): the shares in mount order, the guest's view of the request
// (outputs, cache and log moved to kiln's guest folders, everything else as on the host), the
// paths that come back, the protocol, and where the guest refuses to mount a host folder.
import { describe, expect, it } from 'vitest';
import type { BuildRequest } from '../../../lib/config/build-request.js';
import { KilnError, UsageError } from '../../../lib/errors.js';
import type { BuildPlan } from '../../../lib/plan/build-plan.js';
import { GUEST, guestRequest, hostOutputPath, hostPathsIn, outermostFolders, planGuestJob } from '../../../lib/vm/guest-job.js';
import { mountTargetProblem } from '../../../lib/vm/guest-setup.js';
import { carryError, decodeMessage, encodeMessage, raiseCarried } from '../../../lib/vm/protocol.js';
import { transient } from '../../../lib/vm/cache-sync.js';

const request = {
  kind: 'disk', flavours: ['debian', 'vm'], imageName: '/home/u/out/web', imageCache: '/home/u/.cache/kiln', logfile: undefined,
  bootTest: true, vm: true, env: { DIB_RELEASE: 'bookworm' }, cwd: '/home/u', types: ['qcow2'],
} as unknown as BuildRequest;
const derived = { epoch: 1_700_000_000, origin: 'newest input: flavour debian (last git commit, 2023-11-14T22:13:20Z)', explicit: false };
const plan = { request, sourceDate: derived } as BuildPlan;

describe('the guest job', () => {
  it('moves outputs, cache and log to kiln folders and runs the build itself, not another VM', () => {
    const guest = guestRequest(request);
    expect(guest).toMatchObject({ imageName: `${GUEST.staged}/web`, imageCache: GUEST.cache, logfile: GUEST.log, bootTest: false, vm: false, cacheMaxBytes: 0 });
    expect(guest.env).toBe(request.env);
    expect(guest.flavours).toEqual(['debian', 'vm']);
  });

  it('shares flavour folders at their host paths, outermost first, then cache, export and input folders (outputs leave by a disk)', () => {
    const { shares, job } = planGuestJob(plan, {
      incomingDir: '/home/u/.cache/kiln/.kiln-vm-incoming/kiln-vm-import.9.ghijkl',
      inputFiles: ['/home/u/.ssh/authorized_keys', '/home/u/.ssh/id_ed25519.pub', '/home/u/layout.yaml'],
      flavourDirs: ['/home/u/flavours', '/home/u/flavours/nested', '/opt/elements'], builtInFlavours: '/usr/lib/kiln/flavours',
    }, { prepend: [], debug: false });
    expect(job.mounts.map((m) => [m.tag, m.target, m.readOnly])).toEqual([
      ['k0', '/home/u/flavours', true], ['k1', '/opt/elements', true], ['k2', '/usr/lib/kiln/flavours', true],
      ['k3', GUEST.cacheLower, true], ['k4', GUEST.cacheExport, false],
      ['k5', `${GUEST.inputs}/0`, true], ['k6', `${GUEST.inputs}/1`, true],
    ]);
    expect(shares.map((s) => s.hostPath)).toEqual([
      '/home/u/flavours', '/opt/elements', '/usr/lib/kiln/flavours', '/home/u/.cache/kiln',
      '/home/u/.cache/kiln/.kiln-vm-incoming/kiln-vm-import.9.ghijkl', '/home/u', '/home/u/.ssh',
    ]);
    expect(job.files).toEqual([
      { source: `${GUEST.inputs}/0/layout.yaml`, target: '/home/u/layout.yaml' },
      { source: `${GUEST.inputs}/1/authorized_keys`, target: '/home/u/.ssh/authorized_keys' },
      { source: `${GUEST.inputs}/1/id_ed25519.pub`, target: '/home/u/.ssh/id_ed25519.pub' },
    ]);
    expect(job.cache).toEqual({ lower: GUEST.cacheLower, target: GUEST.cache, exportTo: GUEST.cacheExport });
  });

  it('does not export the cache when the host cache is read-only', () => {
    const { job } = planGuestJob(plan, { incomingDir: undefined, inputFiles: [], flavourDirs: [], builtInFlavours: '/f' }, { prepend: ['ramdisk'], debug: true });
    expect(job.cache.exportTo).toBeUndefined();
    expect(job.mounts.map((m) => m.target)).not.toContain(GUEST.cacheExport);
    expect(job.prepend).toEqual(['ramdisk']);
  });

  it('dates the guest\'s build as the host dated it, unless the user gave the date', () => {
    const host = { incomingDir: undefined, inputFiles: [], flavourDirs: [], builtInFlavours: '/f' };
    // The guest sees flavour folders without .git: it would date by file times, and its outputs and their key would differ.
    expect(planGuestJob(plan, host, { prepend: [], debug: false }).job.newestInput).toEqual(derived);
    const given = { ...plan, sourceDate: { epoch: 5, origin: 'SOURCE_DATE_EPOCH', explicit: true } } as BuildPlan;
    expect(planGuestJob(given, host, { prepend: [], debug: false }).job.newestInput).toBeUndefined();
  });

  it('writes a spec\'s filesystem images below the staged folder, one folder each, and puts them back where the spec says', () => {
    const spec = {
      ...request,
      filesystemImages: {
        images: [
          { mountPoint: '/', format: 'ext4', container: 'gzip', path: '/srv/images/root.img.gz' },
          { mountPoint: '/boot', format: 'ext2', container: 'gzip', path: '/var/boot/boot.img.gz' },
        ],
        metadataPath: '/srv/meta/profile.yaml', repos: [],
      },
    } as unknown as BuildRequest;
    const guest = guestRequest(spec).filesystemImages!;
    // Same file names: they are part of the output key.
    expect(guest.images.map((i) => i.path)).toEqual([`${GUEST.staged}/kiln-fs-images/0/root.img.gz`, `${GUEST.staged}/kiln-fs-images/1/boot.img.gz`]);
    expect(guest.metadataPath).toBe(`${GUEST.staged}/kiln-fs-images/metadata/profile.yaml`);
    expect(guest.images.map((i) => [i.mountPoint, i.format, i.container])).toEqual([['/', 'ext4', 'gzip'], ['/boot', 'ext2', 'gzip']]);
    expect(hostOutputPath(spec, 'kiln-fs-images/0/root.img.gz')).toBe('/srv/images/root.img.gz');
    // --checksum files go beside their image.
    expect(hostOutputPath(spec, 'kiln-fs-images/1/boot.img.gz.sha256')).toBe('/var/boot/boot.img.gz.sha256');
    expect(hostOutputPath(spec, 'kiln-fs-images/metadata/profile.yaml')).toBe('/srv/meta/profile.yaml');
    expect(hostOutputPath(spec, 'web.manifest.json')).toBe('/home/u/out/web.manifest.json');
    expect(hostOutputPath(spec, 'kiln-fs-images/7/x.img')).toBeUndefined();
    expect(hostOutputPath(request, 'kiln-fs-images/0/root.img.gz')).toBeUndefined();
    expect(hostPathsIn(`wrote ${GUEST.staged}/kiln-fs-images/1/boot.img.gz and ${GUEST.staged}/web.tar`, spec, '/l')).toBe('wrote /var/boot/boot.img.gz and /home/u/out/web.tar');
  });

  it('keeps only the outermost of nested folders', () => {
    expect(outermostFolders(['/a/b', '/a', '/ab', '/a/b/c', '/a'])).toEqual(['/a', '/ab']);
  });

  it('names guest folders as the host\'s in what comes back', () => {
    // The build writes its outputs to the scratch disk; those paths are the host's output folder.
    expect(hostPathsIn(`wrote ${GUEST.staged}/web.qcow2; full log: ${GUEST.log}; cache ${GUEST.cache}/layers`, request, '/home/u/out/web.log'))
      .toBe('wrote /home/u/out/web.qcow2; full log: /home/u/out/web.log; cache /home/u/.cache/kiln/layers');
  });
});

describe('where the guest mounts host folders', () => {
  const probe = (existing: Record<string, boolean>) => ({ exists: (p: string) => p in existing, emptyDir: (p: string) => existing[p] === true });
  it('refuses virtual and kiln folders, and folders that would hide files of the builder image', () => {
    expect(mountTargetProblem('/proc/x', probe({}))).toMatch(/inside \/proc, which the build VM needs for itself/);
    expect(mountTargetProblem('/run/user/0', probe({}))).toMatch(/inside \/run/);
    expect(mountTargetProblem('/', probe({}))).toMatch(/not a normalised absolute path below \//);
    expect(mountTargetProblem('/a/../b', probe({}))).toMatch(/normalised/);
    expect(mountTargetProblem('/root', probe({ '/root': false }))).toMatch(/already holds files of the builder image/);
    expect(mountTargetProblem('/usr/share', probe({ '/usr/share': false }))).toMatch(/already holds files/);
    expect(mountTargetProblem('/home/u/flavours', probe({}))).toBeUndefined();
    expect(mountTargetProblem('/srv', probe({ '/srv': true }))).toBeUndefined();
    // diskimage-builder's own elements, installed from Debian: nothing of the builder is there.
    expect(mountTargetProblem('/usr/lib/python3/dist-packages/diskimage_builder/elements', probe({}))).toBeUndefined();
    expect(mountTargetProblem('/kiln/out', probe({}))).toMatch(/inside \/kiln/);
    expect(mountTargetProblem('/kiln/out', probe({}), { internal: true })).toBeUndefined();
  });

  it('binds host files anywhere but over the builder\'s own system files', () => {
    expect(mountTargetProblem('/root/.ssh/authorized_keys', probe({ '/root/.ssh/authorized_keys': false }), { file: true })).toBeUndefined();
    expect(mountTargetProblem('/etc/apt/keys/x.gpg', probe({}), { file: true })).toBeUndefined();
    expect(mountTargetProblem('/etc/resolv.conf', probe({ '/etc/resolv.conf': false }), { file: true })).toMatch(/would replace the build VM's own file in \/etc/);
  });
});

describe('the host-guest protocol', () => {
  it('is one JSON document per line; other lines are not messages', () => {
    const line = encodeMessage({ type: 'log', label: 'x', text: 'a\nb' });
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toContain('\n');
    expect(decodeMessage(line.trim())).toEqual({ type: 'log', label: 'x', text: 'a\nb' });
    expect(decodeMessage('[    1.234] random kernel noise')).toBeUndefined();
    expect(decodeMessage('{"no":"type"}')).toBeUndefined();
  });

  it('carries kiln errors with their details, hint and exit code, and anything else as an internal error', () => {
    const error = new UsageError('bad thing in /kiln/out/x', 'fix /kiln/out/x');
    error.details = () => ['see /kiln/out/x'];
    const carried = carryError(error);
    expect(carried).toEqual({ message: 'bad thing in /kiln/out/x', details: ['see /kiln/out/x'], hint: 'fix /kiln/out/x', exitCode: 2 });
    const raised = raiseCarried(carried, (t) => t.replaceAll('/kiln/out/', '/home/u/'));
    expect(raised).toBeInstanceOf(KilnError);
    expect([raised.message, raised.hint, raised.details(), raised.exitCode]).toEqual(['bad thing in /home/u/x', 'fix /home/u/x', ['see /home/u/x'], 2]);
    expect(carryError(new TypeError('oops'))).toMatchObject({ exitCode: 70, message: 'internal error in the build VM: oops' });
  });
});

describe('cache files that cross from the guest', () => {
  it('never the lock, partial files or the import folder', () => {
    expect(['.lock', 'x.tar.zst.212.partial', '.y.kiln-partial', '.kiln-vm-incoming', 'abc.tar.zst', 'abc.json'].filter((n) => !transient(n))).toEqual(['abc.tar.zst', 'abc.json']);
  });
});
