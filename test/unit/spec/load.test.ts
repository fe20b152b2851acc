// Build specs in both dialects: every malformed document gives one line per problem naming its
// JSON path (and line), and good documents translate into the request the command line makes.
import { describe, expect, it } from 'vitest';
import { SpecError, formatPath } from '../../../lib/spec/problems.js';
import { loadSpecText, readSpecArgument } from '../../../lib/spec/load.js';
import { specRequest } from '../../../lib/spec/request.js';
import { buildRequest } from '../../../lib/config/parse-options.js';
import { BAD_SPECS, fuelDocument } from './bad-specs.js';

function problemsOf(text: string): string {
  try {
    loadSpecText(text, 'spec.json');
  } catch (error) {
    expect(error).toBeInstanceOf(SpecError);
    const spec = error as SpecError;
    expect(spec.exitCode).toBe(2);
    return [spec.message, ...spec.details()].join('\n');
  }
  throw new Error('the spec was accepted');
}

describe('malformed specs (the table runs through the command in test/unit/cli/kiln-build-image.test.ts)', () => {
  it('the table has at least 20 documents', () => expect(BAD_SPECS.length).toBeGreaterThanOrEqual(20));

  it('reports every problem at once, one line each', () => {
    const doc = fuelDocument() as Record<string, any>;
    doc.image_data['/'].format = 'zfs';
    doc.repos[0].priority = 'high';
    doc.colour = 'red';
    const text = problemsOf(JSON.stringify(doc, null, 2));
    expect(text.split('\n')[0]).toBe('invalid build spec spec.json (3 problems)');
    expect(text).toMatch(/image_data\["\/"\]\.format/);
    expect(text).toMatch(/repos\[0\]\.priority/);
    expect(text).toMatch(/colour .*unknown key/);
  });
});

describe('JSON paths', () => {
  it('are written as a reader would look them up', () => {
    expect(formatPath([])).toBe('(document)');
    expect(formatPath(['repos', 1, 'priority'])).toBe('repos[1].priority');
    expect(formatPath(['image_data', '/boot', 'format'])).toBe('image_data["/boot"].format');
  });
});

describe('the SPEC argument', () => {
  it('is a JSON string when it starts with {, standard input for -, else a file', () => {
    expect(readSpecArgument('{"flavours": ["x"]}').source).toBe('(command line)');
    expect(readSpecArgument('-', () => 'flavours: [x]')).toEqual({ text: 'flavours: [x]', source: '(stdin)' });
    expect(() => readSpecArgument('/nonexistent/spec.yaml')).toThrow(/cannot read build spec \/nonexistent\/spec\.yaml: no such file/);
  });
});

describe('Fuel\'s document', () => {
  const cwd = '/work';
  it('becomes per-mount-point images named after each uri, the metadata named after the root image', () => {
    const loaded = loadSpecText(JSON.stringify(fuelDocument('out/targetimages')), 'fuel.json');
    expect(loaded.dialect).toBe('fuel');
    const request = specRequest(loaded, { env: {}, cwd });
    expect(request.filesystemImages).toEqual({
      images: [
        { mountPoint: '/boot', format: 'ext2', container: 'gzip', path: '/work/out/targetimages/env_4_debian_12_amd64-boot.img.gz' },
        { mountPoint: '/', format: 'ext4', container: 'gzip', path: '/work/out/targetimages/env_4_debian_12_amd64.img.gz' },
      ],
      metadataPath: '/work/out/targetimages/env_4_debian_12_amd64.yaml',
      repos: [{ name: 'debian', section: 'main', uri: 'http://deb.debian.org/debian', priority: 1001, suite: 'bookworm', type: 'deb' }],
    });
    expect(request.types).toEqual([]);
    expect(request.imageName).toBe('/work/out/targetimages/env_4_debian_12_amd64');
    expect(request.flavours).toEqual(['debian', 'bootloader', 'apt-sources', 'provision-target']);
    const vars = Object.fromEntries((request.specVariables ?? []).map((v) => [v.name, v.value]));
    expect(vars).toMatchObject({
      DIB_RELEASE: 'bookworm',
      DIB_APT_SOURCES_CONF: 'debian:deb http://deb.debian.org/debian bookworm main',
      KILN_APT_REPOS: 'debian|http://deb.debian.org/debian|bookworm|main|1001',
      KILN_APT_ALLOW_UNSIGNED: '1',
    });
    expect(request.specVariables?.[0]?.source).toBe('spec fuel.json');
  });

  it('passes packages, proxies and the root password on', () => {
    const doc = { ...fuelDocument(), packages: ['vim', 'curl'], proxies: { protocols: { http: 'http://proxy:3128' }, direct_repo_addr_list: ['127.0.0.1', 'mirror.local'] }, root_password: 'r00tme' };
    expect(loadSpecText(JSON.stringify(doc), 'f.json').spec.proxies).toEqual({ http: 'http://proxy:3128', direct: ['127.0.0.1', 'mirror.local'] });
    const request = specRequest(loadSpecText(JSON.stringify(doc), 'f.json'), { env: {}, cwd });
    expect(request.packages).toEqual(['vim', 'curl']);
    expect(request.flavours).toContain('root-password');
    const vars = Object.fromEntries((request.specVariables ?? []).map((v) => [v.name, v.value]));
    expect(vars).toMatchObject({ http_proxy: 'http://proxy:3128', no_proxy: '127.0.0.1,mirror.local', KILN_APT_DIRECT_HOSTS: '127.0.0.1 mirror.local', KILN_ROOT_PASSWORD: 'r00tme' });
  });
});

describe('kiln\'s own spec', () => {
  it('gives exactly the request of the equivalent command line', () => {
    const spec = { flavours: ['debian', 'vm'], output: 'out/web', types: ['qcow2', 'tar'], arch: 'x86_64', packages: ['nginx'], imageSize: '3G', checksum: true, noCache: true, trace: 1 };
    const fromSpec = specRequest(loadSpecText(JSON.stringify(spec), 's.json'), { env: { HOME: '/home/u' }, cwd: '/w' });
    const cli = { imageName: 'out/web', types: ['qcow2,tar'], arch: 'x86_64', packages: ['nginx'], imageSizeBytes: '3G', checksum: true, noCache: true, debugTrace: 1 };
    const fromCli = buildRequest('disk', ['debian', 'vm'], cli, { HOME: '/home/u' }, '/w');
    const { origins: a, specVariables: _v, specNotes: _n, ...optionsFromSpec } = fromSpec;
    const { origins: b, ...optionsFromCli } = fromCli;
    expect(optionsFromSpec).toEqual(optionsFromCli);
    expect(a.imageSizeBytes).toBe('spec s.json: imageSize');
    expect(b.imageSizeBytes).toBe('--image-size');
  });

  it('reads options from its environment as from the user\'s, checked by the option table', () => {
    const loaded = loadSpecText(JSON.stringify({ flavours: ['debian'], environment: { DIB_IMAGE_SIZE: '5G', DIB_RELEASE: 'trixie' } }), 's.json');
    const request = specRequest(loaded, { env: { DIB_IMAGE_SIZE: '1G' }, cwd: '/w' });
    expect(request.imageSizeBytes).toBe(5 * 1024 ** 3);
    expect(request.specVariables?.map((v) => v.name)).toEqual(['DIB_RELEASE']);
  });

  it('reads YAML and turns blockDevice data into DIB_BLOCK_DEVICE_CONFIG', () => {
    const yaml = 'flavours: [debian, vm]\nblockDevice:\n  - local_loop: {name: image0}\nenvironment:\n  DIB_RELEASE: trixie\n  DIB_DEBUG: 1\n';
    const request = specRequest(loadSpecText(yaml, 's.yaml'), { env: {}, cwd: '/w' });
    const vars = Object.fromEntries((request.specVariables ?? []).map((v) => [v.name, v.value]));
    expect(JSON.parse(vars.DIB_BLOCK_DEVICE_CONFIG!)).toEqual([{ local_loop: { name: 'image0' } }]);
    expect(vars).toMatchObject({ DIB_RELEASE: 'trixie', DIB_DEBUG: '1' });
  });

  it('lets the command line win, and says so', () => {
    const loaded = loadSpecText(JSON.stringify({ flavours: ['debian', 'vm'], output: 'web', types: ['qcow2'] }), 'web.json');
    const cli = { values: { imageName: 'other', types: ['raw'] }, flavours: [] };
    const request = specRequest(loaded, { env: {}, cwd: '/w', cli });
    expect(request.imageName).toBe('/w/other');
    expect(request.types).toEqual(['raw']);
    expect(request.specNotes).toEqual([
      'spec web.json: --output "other" from the command line wins over the spec\'s output "web"',
      'spec web.json: --type "raw" from the command line wins over the spec\'s types "qcow2"',
    ]);
  });

  it('refuses a ramdisk spec given to disk-image-create', () => {
    const loaded = loadSpecText('{"kind": "ramdisk", "flavours": ["debian", "deploy"]}', 'r.json');
    expect(() => specRequest(loaded, { kind: 'disk', env: {}, cwd: '/w' })).toThrow(/describes a ramdisk build/);
  });
});
