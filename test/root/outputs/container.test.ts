// Container outputs of a root-owned tree, read back by the OCI tools (no container engine):
// umoci unpacks the oci layout to exactly the tree the tar output gives (owners, modes, hard
// links, device nodes, capabilities, ACLs, user xattrs); skopeo reads the layout, the OCI archive
// and the docker archive by name and tag and shows the configured entrypoint and labels; the same
// tree gives the same layer digest however often it is archived, and two builds from scratch
// (fake-os) give the same layer, manifest and archives; a refused root leaves nothing.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyContainerConfig } from '../../../lib/flavours/container-config.js';
import { nullLog } from '../../../lib/log.js';
import { writeContainerOutputs, stagingPath } from '../../../lib/outputs/container.js';
import { parseImageReference } from '../../../lib/outputs/image-reference.js';
import { writeTreeOutput } from '../../../lib/outputs/tree.js';
import { ResourceStack } from '../../../lib/resources/disposable-stack.js';
import { mount } from '../../../lib/resources/mount.js';
import { fixtures, hostState, isRoot, kiln, type HostState } from '../../helpers/host.js';
import { treeManifest } from '../../helpers/tree-manifest.js';

const sh = (script: string, cwd: string): string => execFileSync('bash', ['-euc', script], { cwd }).toString();
const json = (argv: string[]): Record<string, unknown> => JSON.parse(execFileSync(argv[0]!, argv.slice(1)).toString()) as Record<string, unknown>;

const EPOCH = 1700000000;
const settings = {
  ...emptyContainerConfig(), entrypoint: ['/usr/bin/ping'], cmd: ['-c', '1', '127.0.0.1'],
  env: { APP_MODE: 'test' }, labels: { 'org.opencontainers.image.title': 'kiln test' }, exposedPorts: ['8080/tcp'],
};

function makeTree(root: string): void {
  sh(`
    mkdir -p usr/bin etc home/user proc/1 sys/kernel dev/pts tmp/in_target.d var/empty "usr/share/a long folder name with spaces/$(printf 'x%.0s' {1..90})"
    cp /bin/true usr/bin/ping && setcap cap_net_raw+ep usr/bin/ping
    mknod -m 666 dev/null c 1 3 && mkfifo -m 600 dev/initctl
    echo 'root:*:19000:0:99999:7:::' > etc/shadow && chown 0:42 etc/shadow && chmod 0640 etc/shadow
    setfattr -n user.kiln.note -v kept etc/shadow
    cp /bin/true usr/bin/su-ish && chown 1234:5678 usr/bin/su-ish && chmod 4755 usr/bin/su-ish
    chown 1000:1000 home/user && chmod 0700 home/user
    echo shared > usr/bin/busybox && ln usr/bin/busybox usr/bin/sh-link && ln -s busybox usr/bin/vi
    echo acl > etc/acl-file && setfacl -m u:1234:rwx etc/acl-file
    truncate -s 64M var/sparse && echo end >> var/sparse
    echo deep > "usr/share/a long folder name with spaces/$(printf 'x%.0s' {1..90})/fichier-été"
    echo host > proc/cpuinfo && echo host > sys/kernel/hostname && echo host > dev/pts/0 && echo hook > tmp/in_target.d/x
    touch -d @1600000000 etc/shadow
  `, root);
}

/** The layer digest the layout's manifest names. */
function layerDigest(layout: string): string {
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
  const manifest = JSON.parse(readFileSync(join(layout, 'blobs/sha256', index.manifests[0]!.digest.slice(7)), 'utf8')) as { layers: { digest: string }[] };
  return manifest.layers[0]!.digest;
}

describe.runIf(isRoot)('container outputs of a root-owned tree', () => {
  let dir: string;
  let root: string;
  const request = (imageName: string, from = root) => ({
    formats: ['oci', 'oci-archive', 'docker'], root: from, imageName, reference: parseImageReference('kiln-test:1.0'), settings,
    arch: 'amd64', epoch: EPOCH, createdBy: 'kiln test', log: nullLog,
  });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kiln-container-test.'));
    root = join(dir, 'root');
    sh('mkdir root out', dir);
    makeTree(root);
    await writeContainerOutputs(request(join(dir, 'out/img')));
  }, 120_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the three outputs and nothing else beside them', () => {
    expect(readdirSync(join(dir, 'out')).sort()).toEqual(['img.docker.tar', 'img.oci', 'img.oci.tar']);
  });

  it('umoci unpacks the layout to the same files as the tar output', async () => {
    await writeTreeOutput({ format: 'tar', root, path: join(dir, 'img.tar'), epoch: EPOCH, log: nullLog });
    sh('mkdir from-tar && tar --extract --file img.tar --directory from-tar --xattrs --xattrs-include="*" --acls --numeric-owner --same-permissions', dir);
    sh('umoci unpack --image out/img.oci:1.0 bundle', dir);
    const unpacked = treeManifest(join(dir, 'bundle/rootfs'));
    expect(unpacked).toEqual(treeManifest(join(dir, 'from-tar')));
    // The tree's substance is there, and the host's kernel state and hook tree are not.
    expect(unpacked.join('\n')).toMatch(/security\.capability=0x/);
    expect(unpacked.join('\n')).toMatch(/user\.kiln\.note=0x6b657074/);
    expect(unpacked.join('\n')).toMatch(/system\.posix_acl_access=/);
    expect(unpacked.find((l) => l.startsWith('dev/null\t'))).toMatch(/^dev\/null\tc\t0666\t0:0\t.*\t1:3\t$/);
    expect(unpacked.find((l) => l.startsWith('usr/bin/su-ish\t'))).toMatch(/\t04755\t1234:5678\t/);
    for (const d of ['proc', 'sys', 'dev/pts']) expect(readdirSync(join(dir, 'bundle/rootfs', d)), d).toEqual([]);
    expect(existsSync(join(dir, 'bundle/rootfs/tmp/in_target.d'))).toBe(false);
  });

  it('skopeo reads the layout, the OCI archive and the docker archive by name and tag', () => {
    const out = join(dir, 'out');
    for (const source of [`oci:${out}/img.oci:1.0`, `oci-archive:${out}/img.oci.tar:1.0`, `docker-archive:${out}/img.docker.tar:kiln-test:1.0`]) {
      const inspect = json(['skopeo', 'inspect', source]);
      expect(inspect.Labels, source).toEqual({ 'org.opencontainers.image.title': 'kiln test' });
      expect(inspect.Created, source).toBe('2023-11-14T22:13:20Z');
      const config = json(['skopeo', 'inspect', '--config', source]) as { config: Record<string, unknown>; architecture: string };
      expect(config.architecture).toBe('amd64');
      expect(config.config, source).toMatchObject({
        Entrypoint: ['/usr/bin/ping'], Cmd: ['-c', '1', '127.0.0.1'], ExposedPorts: { '8080/tcp': {} },
        Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'APP_MODE=test'],
      });
    }
    // The docker archive names the image as `docker load` will tag it.
    const manifest = JSON.parse(execFileSync('tar', ['-xOf', join(out, 'img.docker.tar'), 'manifest.json']).toString()) as { RepoTags: string[] }[];
    expect(manifest[0]!.RepoTags).toEqual(['kiln-test:1.0']);
  });

  it('gives the same layer digest for the same tree, after reading it and in a copy', async () => {
    sh('cat etc/shadow usr/bin/busybox > /dev/null; cp -a --sparse=always . ../copy', root);
    await writeContainerOutputs(request(join(dir, 'again/img')));
    await writeContainerOutputs(request(join(dir, 'copy-out/img'), join(dir, 'copy')));
    const first = layerDigest(join(dir, 'out/img.oci'));
    expect(layerDigest(join(dir, 'again/img.oci'))).toBe(first);
    expect(layerDigest(join(dir, 'copy-out/img.oci'))).toBe(first);
    // Every byte of the archives is the same too (fixed epoch, same tag).
    expect(readFileSync(join(dir, 'copy-out/img.docker.tar')).equals(readFileSync(join(dir, 'out/img.docker.tar')))).toBe(true);
  }, 120_000);

  it('refuses a root with a kernel filesystem mounted in it and leaves nothing behind', async () => {
    await using stack = new ResourceStack();
    await mount(stack, { source: 'proc', target: join(root, 'proc'), fstype: 'proc' });
    const imageName = join(dir, 'refused/img');
    sh('mkdir refused', dir);
    await expect(writeContainerOutputs(request(imageName))).rejects.toThrow(/proc still mounted/);
    expect(readdirSync(join(dir, 'refused'))).toEqual([]);
    expect(existsSync(stagingPath(imageName))).toBe(false);
  });
});

describe.runIf(isRoot)('the same build twice (root, fake-os)', () => {
  let dir: string;
  let before: HostState;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kiln-container-twice.'));
    before = hostState();
    // A flavour that sets the image config, beside fake-os (busybox and bash from the host).
    sh('mkdir -p flavours/app && printf "entrypoint: [/bin/sh]\\nlabels: { org.opencontainers.image.title: twice }\\n" > flavours/app/container-config.yaml', dir);
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    expect(hostState()).toEqual(before);
  });

  it('gives the same layer digest, manifest and archives from two builds from scratch', async () => {
    for (const run of ['first', 'second']) {
      const result = await kiln('disk-image-create', ['-n', '-t', 'oci,docker', '--docker-target', 'twice:1', '-o', join(dir, run, 'img'),
        '--flavours-path', `${fixtures}:${join(dir, 'flavours')}`, '--image-cache', join(dir, 'cache'), '--no-cache', 'fake-os', 'app']);
      expect(result.code, result.stderr.slice(-2000)).toBe(0);
    }
    const first = layerDigest(join(dir, 'first/img.oci'));
    expect(first).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(layerDigest(join(dir, 'second/img.oci'))).toBe(first);
    expect(readFileSync(join(dir, 'second/img.oci/index.json'), 'utf8')).toBe(readFileSync(join(dir, 'first/img.oci/index.json'), 'utf8'));
    expect(readFileSync(join(dir, 'second/img.docker.tar')).equals(readFileSync(join(dir, 'first/img.docker.tar')))).toBe(true);
    // The layer is the build's tree (fake-os's busybox), with the flavour's config.
    const { config } = json(['skopeo', 'inspect', '--config', `oci:${join(dir, 'first/img.oci')}:1`]) as { config: Record<string, unknown> };
    expect(config).toMatchObject({ Entrypoint: ['/bin/sh'], Labels: { 'org.opencontainers.image.title': 'twice' } });
    const layer = join(dir, 'first/img.oci/blobs/sha256', first.slice(7));
    expect(execFileSync('tar', ['-tzf', layer], { maxBuffer: 1 << 26 }).toString()).toMatch(/^(\.\/)?bin\/busybox$/m);
  }, 300_000);
});
