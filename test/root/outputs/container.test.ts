// Container outputs of a root-owned tree, read back by the OCI tools (no container engine):
// umoci unpacks the oci layout to exactly the tree the tar output gives (owners, modes, hard
// links, device nodes, capabilities, ACLs, user xattrs); skopeo reads the layout, the OCI archive
// and the docker archive by name and tag and shows the configured entrypoint and labels; a
// refused root leaves nothing.
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
import { isRoot } from '../../helpers/host.js';
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
    await writeTreeOutput({ format: 'tar', root, path: join(dir, 'img.tar'), log: nullLog });
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
