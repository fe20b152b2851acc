// pkg-map and svc-map files read natively (diskimage-builder's formats), checked while planning
// and flattened for the in-image commands; install-type folders chosen as DIB's install-types
// element chooses them.
import { describe, expect, it } from 'vitest';
import { chooseInstallTypes, installTypeFor } from '../../lib/flavours/install-types.js';
import type { DirEntryInfo } from '../../lib/flavours/metadata.js';
import { mergeSvcMaps, parsePkgMap, parseSvcMap, renderRows } from '../../lib/flavours/name-maps.js';

describe('pkg-map files', () => {
  it('flatten to scope, name, value rows for every level', () => {
    const rows = parsePkgMap('/f/pkg-map', JSON.stringify({
      default: { growpart: 'cloud-utils-growpart' },
      family: { debian: { growpart: 'cloud-guest-utils', extlinux: '' } },
      distro: { ubuntu: { growpart: 'cloud-utils' } },
      release: { debian: { bookworm: { growpart: 'cloud-guest-utils fdisk' } } },
    }));
    expect(rows).toEqual([
      ['default', 'growpart', 'cloud-utils-growpart'],
      ['family:debian', 'growpart', 'cloud-guest-utils'],
      ['family:debian', 'extlinux', ''],
      ['distro:ubuntu', 'growpart', 'cloud-utils'],
      ['release:debian:bookworm', 'growpart', 'cloud-guest-utils fdisk'],
    ]);
    expect(renderRows(rows.slice(0, 1))).toBe('default\tgrowpart\tcloud-utils-growpart\n');
  });

  it.each([
    ['not JSON', '{"default": ', /\/f\/pkg-map: not valid JSON/],
    ['an unknown key', '{"defaults": {}}', /unknown key "defaults"/],
    ['a name mapped to a list', '{"default": {"a": ["b"]}}', /"default": "a" must map to a string, got \["b"\]/],
    ['a family that is not a table', '{"family": {"debian": "x"}}', /"family"."debian" must map names to names/],
  ])('refuse %s, naming the file', (_, text, message) => {
    expect(() => parsePkgMap('/f/pkg-map', text)).toThrow(message);
  });
});

describe('svc-map files', () => {
  it('flatten per service, and a service without mapping keeps its name', () => {
    expect(parseSvcMap('/f/svc-map', 'apache:\n  default: httpd\n  debian: apache2\ncron:\n')).toEqual([
      ['default', 'apache', 'httpd'],
      ['debian', 'apache', 'apache2'],
      ['default', 'cron', 'cron'],
    ]);
  });

  it('a service mapped by two flavours is an error naming the other flavour', () => {
    const a = { flavour: 'a', file: '/a/svc-map', rows: parseSvcMap('/a/svc-map', 'web:\n  default: httpd\n') };
    const b = { flavour: 'b', file: '/b/svc-map', rows: parseSvcMap('/b/svc-map', 'web:\n  debian: nginx\n') };
    expect(() => mergeSvcMaps([a, b])).toThrow('/b/svc-map: service "web" is already mapped by flavour "a"');
    expect(mergeSvcMaps([a])).toEqual([['default', 'web', 'httpd']]);
  });

  it('refuses YAML that is not a map of maps', () => {
    expect(() => parseSvcMap('/f/svc-map', '- a\n- b\n')).toThrow(/\/f\/svc-map: must map service names/);
    expect(() => parseSvcMap('/f/svc-map', 'web: [a]\n')).toThrow(/service "web" must map names to names/);
  });
});

describe('install types', () => {
  const entry = (name: string): DirEntryInfo => ({ name, path: `/x/${name}`, isFile: true, isExecutable: true });
  const flavour = {
    name: 'my-app',
    installTypeFolders: new Map([
      ['my-app-source-install', [entry('50-from-source')]],
      ['my-app-package-install', [entry('50-from-package')]],
      ['other-thing-venv-install', [entry('60-venv')]],
    ]),
  };
  const chosen = (env: Record<string, string>) => chooseInstallTypes([flavour], env).map((c) => c.folder);

  it('default source; DIB_DEFAULT_INSTALLTYPE changes the default; DIB_INSTALLTYPE_<prefix> wins for its prefix', () => {
    expect(chosen({})).toEqual(['my-app-source-install']);
    expect(chosen({ DIB_DEFAULT_INSTALLTYPE: 'package' })).toEqual(['my-app-package-install']);
    expect(chosen({ DIB_DEFAULT_INSTALLTYPE: 'package', DIB_INSTALLTYPE_my_app: 'source', DIB_INSTALLTYPE_other_thing: 'venv' }))
      .toEqual(['my-app-source-install', 'other-thing-venv-install']);
    expect(installTypeFor('other-thing', { DIB_INSTALLTYPE_other_thing: 'venv' })).toBe('venv');
  });
});
