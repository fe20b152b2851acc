import { describe, expect, it } from 'vitest';
import { emptyContainerConfig } from '../../../lib/flavours/container-config.js';
import { parseImageReference } from '../../../lib/outputs/image-reference.js';
import {
  blobPath, describe as describeBlob, documentBytes, dockerManifest, dockerRepositories, imageConfig, imageIndex, MEDIA_TYPES, ociPlatform,
} from '../../../lib/outputs/oci-documents.js';
import { layoutArchiveArgv } from '../../../lib/outputs/oci-layout.js';

const base = { arch: 'amd64', created: '2023-11-14T22:13:20Z', diffIds: ['sha256:aa'], defaultCmd: ['/bin/bash'], createdBy: 'kiln disk-image-create debian' };

describe('OCI image documents', () => {
  it('maps Debian architectures to OCI platforms', () => {
    expect(ociPlatform('amd64')).toEqual({ architecture: 'amd64', os: 'linux' });
    expect(ociPlatform('i386')).toEqual({ architecture: '386', os: 'linux' });
    expect(ociPlatform('armhf')).toEqual({ architecture: 'arm', os: 'linux', variant: 'v7' });
    expect(ociPlatform('ppc64el')).toEqual({ architecture: 'ppc64le', os: 'linux' });
  });

  it('gives an image without settings a PATH and the shell as CMD', () => {
    const config = imageConfig({ ...base, settings: emptyContainerConfig() });
    expect(config).toEqual({
      created: '2023-11-14T22:13:20Z', architecture: 'amd64', os: 'linux',
      config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['/bin/bash'] },
      rootfs: { type: 'layers', diff_ids: ['sha256:aa'] },
      history: [{ created: '2023-11-14T22:13:20Z', created_by: 'kiln disk-image-create debian' }],
    });
  });

  it('carries the flavours\' settings in Docker\'s field names; an entrypoint drops the default CMD', () => {
    const settings = {
      ...emptyContainerConfig(), entrypoint: ['/app'], env: { B: '2', PATH: '/opt/bin:/usr/bin', A: '1' }, labels: { z: '1', a: '2' },
      exposedPorts: ['80/tcp'], volumes: ['/data'], workingDir: '/srv', user: 'app', stopSignal: 'SIGINT',
    };
    const config = imageConfig({ ...base, settings }).config;
    expect(config).toEqual({
      User: 'app', ExposedPorts: { '80/tcp': {} }, Env: ['PATH=/opt/bin:/usr/bin', 'A=1', 'B=2'], Entrypoint: ['/app'],
      Volumes: { '/data': {} }, WorkingDir: '/srv', Labels: { a: '2', z: '1' }, StopSignal: 'SIGINT',
    });
    expect(Object.keys((config as { Labels: object }).Labels)).toEqual(['a', 'z']);
  });

  it('writes the same bytes for the same inputs', () => {
    const a = documentBytes(imageConfig({ ...base, settings: emptyContainerConfig() }));
    const b = documentBytes(imageConfig({ ...base, settings: emptyContainerConfig() }));
    expect(describeBlob(MEDIA_TYPES.config, a)).toEqual(describeBlob(MEDIA_TYPES.config, b));
    expect(a.toString()).toBe(JSON.stringify(JSON.parse(a.toString())));
  });

  it('names the image in the index as docker save and skopeo expect', () => {
    const manifest = { mediaType: MEDIA_TYPES.manifest, digest: 'sha256:mm', size: 10 };
    const index = imageIndex(manifest, parseImageReference('kiln-builder:1.0'), 'arm64');
    expect(index).toEqual({
      schemaVersion: 2, mediaType: MEDIA_TYPES.index,
      manifests: [{
        ...manifest, platform: { architecture: 'arm64', os: 'linux', variant: 'v8' },
        annotations: { 'io.containerd.image.name': 'docker.io/library/kiln-builder:1.0', 'org.opencontainers.image.ref.name': '1.0' },
      }],
    });
  });

  it('writes docker load\'s manifest.json and repositories with paths inside the archive', () => {
    const config = { mediaType: MEDIA_TYPES.config, digest: 'sha256:cc', size: 1 };
    const layer = { mediaType: MEDIA_TYPES.layer, digest: 'sha256:ll', size: 2 };
    const ref = parseImageReference('registry.local:5000/kiln:2');
    expect(blobPath('sha256:cc')).toBe('blobs/sha256/cc');
    expect(dockerManifest(config, [layer], ref)).toEqual([{ Config: 'blobs/sha256/cc', RepoTags: ['registry.local:5000/kiln:2'], Layers: ['blobs/sha256/ll'] }]);
    expect(dockerRepositories(ref, layer)).toEqual({ 'registry.local:5000/kiln': { 2: 'll' } });
  });

  it('archives a layout with fixed owners, modes, times and order', () => {
    expect(layoutArchiveArgv('/stage/oci', ['oci-layout', 'blobs', 'index.json'], 1700000000)).toEqual([
      'tar', '--create', '--file=-', '--directory=/stage/oci', '--format=gnu', '--sort=name', '--mtime=@1700000000',
      '--owner=0', '--group=0', '--numeric-owner', '--mode=u=rwX,go=rX', 'blobs', 'index.json', 'oci-layout',
    ]);
  });
});
