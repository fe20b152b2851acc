// The inventory of an image root and the SBOMs made from it, on a small fake Debian root: dpkg's
// status, copyright files (machine-readable, free-form, a doc folder that is a link), apt's
// sources and the recorded apt-cache policy. CycloneDX is checked by the CycloneDX library's own
// validator, SPDX for every field SPDX 2.3 requires.
import { describe, expect, it } from 'vitest';
import { PackageURL } from 'packageurl-js';
import { parseAptPolicy, parseListFile, parseSourcesFile } from '../../lib/sbom/apt.js';
import { declaredLicense } from '../../lib/sbom/copyright.js';
import { cyclonedxDocument } from '../../lib/sbom/cyclonedx.js';
import { contentUuid, debPurl, type SbomInputs } from '../../lib/sbom/document.js';
import { dependencyNames, installedPackages } from '../../lib/sbom/dpkg-status.js';
import { readInventoryOf } from '../../lib/sbom/inventory.js';
import { owningPackages } from '../../lib/sbom/ownership.js';
import { diskRootView } from '../../lib/ramdisk/root-view.js';
import { spdxExpression } from '../../lib/sbom/licenses.js';
import { spdxDocument } from '../../lib/sbom/spdx.js';
import { attributeInstalls, dpkgInstalls, markerLine } from '../../lib/manifest/dpkg-log.js';
import { cyclonedxErrors, spdxProblems } from '../helpers/sbom.js';
import { tempDir, writeTree } from '../helpers/tree.js';

const STATUS = `Package: libc6
Status: install ok installed
Priority: optional
Architecture: amd64
Multi-Arch: same
Source: glibc
Version: 2.36-9+deb12u4
Depends: libgcc-s1
Description: GNU C Library: Shared libraries
 Contains the standard libraries.
Homepage: https://www.gnu.org/software/libc/libc.html

Package: libgcc-s1
Status: install ok installed
Architecture: amd64
Source: gcc-12 (12.2.0-14)
Version: 12.2.0-14
Depends: gcc-12-base (= 12.2.0-14), libc6 (>= 2.35)
Description: GCC support library

Package: curl
Status: install ok installed
Architecture: amd64
Version: 7.88.1-10+deb12u5
Depends: libc6 (>= 2.34) | libc6-udeb, libcurl4:any
Description: command line tool for transferring data with URL syntax

Package: old-thing
Status: deinstall ok config-files
Architecture: all
Version: 1.0
`;

const DEP5 = `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: curl

Files: *
Copyright: 1996 - 2023, Daniel Stenberg
License: curl

Files: lib/md4.c
Copyright: Solar Designer
License: public-domain
 Public domain, no warranty.

Files: debian/*
Copyright: Debian people
License: GPL-2+ or Expat

License: curl
 COPYRIGHT AND PERMISSION NOTICE
 .
 Permission to use, copy, modify...
`;

const FREE_FORM = `This is the Debian prepackaged version of the GNU C Library.
On Debian systems, the complete text of the GNU Lesser General Public License
can be found in /usr/share/common-licenses/LGPL-2.1.
`;

const POLICY = `libc6:
  Installed: 2.36-9+deb12u4
  Candidate: 2.36-9+deb12u4
  Version table:
 *** 2.36-9+deb12u4 500
        500 http://deb.debian.org/debian bookworm/main amd64 Packages
        500 http://deb.debian.org/debian-security bookworm-security/main amd64 Packages
        100 /var/lib/dpkg/status
     2.36-9+deb12u3 500
        500 http://deb.debian.org/debian bookworm-updates/main amd64 Packages
curl:
  Installed: 7.88.1-10+deb12u5
  Candidate: 7.88.1-10+deb12u5
  Version table:
 *** 7.88.1-10+deb12u5 100
        100 /var/lib/dpkg/status
`;

function fakeRoot(root: string): void {
  writeTree(root, {
    'var/lib/dpkg/status': STATUS,
    'var/lib/apt/extended_states': 'Package: libgcc-s1\nArchitecture: amd64\nAuto-Installed: 1\n',
    'var/lib/kiln/apt-policy': POLICY,
    'usr/share/doc/curl/copyright': DEP5,
    'usr/share/doc/libc6/copyright': FREE_FORM,
    'usr/share/doc/gcc-12-base/copyright': 'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nCopyright: FSF\nLicense: GPL-3+ with GCC-exception\n\nFiles: libiberty/*\nCopyright: FSF\nLicense: GPL-2+ with OpenSSL exception\n',
    'usr/share/doc/libgcc-s1': { link: 'gcc-12-base' },
    'etc/os-release': 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n',
    'etc/apt/sources.list.d/debian.sources': 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n',
    'etc/apt/sources.list.d/extra.list': '# comment\ndeb [arch=amd64] http://example.org/repo stable main contrib\n',
  });
}

function sbomInputs(root: string): SbomInputs {
  const inventory = readInventoryOf(root);
  return {
    imageName: 'web', architecture: 'amd64', kilnVersion: '0.1.0', epoch: 1700000000, osRelease: inventory.osRelease,
    packages: inventory.packages, flavours: [{ name: 'debian', sha256: 'a'.repeat(64) }, { name: 'web', sha256: 'b'.repeat(64) }],
    requestedBy: new Map([['curl', ['web']]]),
    installedBy: new Map([['libc6', { label: 'root.d/10-debian-bootstrap (debian)', flavour: 'debian' }]]),
    outputs: [{ file: 'web.qcow2', sha256: 'c'.repeat(64) }],
  };
}

describe('dpkg status', () => {
  it('lists installed packages only, with source package and version, sorted', () => {
    const packages = installedPackages(STATUS);
    expect(packages.map((p) => [p.name, p.version, p.architecture, p.source, p.sourceVersion])).toEqual([
      ['curl', '7.88.1-10+deb12u5', 'amd64', 'curl', '7.88.1-10+deb12u5'],
      ['libc6', '2.36-9+deb12u4', 'amd64', 'glibc', '2.36-9+deb12u4'],
      ['libgcc-s1', '12.2.0-14', 'amd64', 'gcc-12', '12.2.0-14'],
    ]);
    expect(packages[1]!.binaryPackage).toBe('libc6:amd64');
    expect(packages[1]!.summary).toBe('GNU C Library: Shared libraries');
  });
  it('reads dependency names: first alternative, no versions or architecture qualifiers', () => {
    expect(dependencyNames('libc6 (>= 2.34) | libc6-udeb, libcurl4:any, zlib1g')).toEqual(['libc6', 'libcurl4', 'zlib1g']);
  });
});

describe('licenses', () => {
  it('translates Debian names to SPDX', () => {
    expect(spdxExpression('GPL-2+')).toBe('GPL-2.0-or-later');
    expect(spdxExpression('LGPL-2.1')).toBe('LGPL-2.1-only');
    expect(spdxExpression('GPL-2+ or Expat')).toBe('(GPL-2.0-or-later OR MIT)');
    expect(spdxExpression('BSD-3-clause and public-domain')).toBe('BSD-3-Clause AND LicenseRef-public-domain');
    expect(spdxExpression('Artistic or GPL-1+, and Zlib')).toBe('(Artistic-1.0-Perl OR GPL-1.0-or-later) AND Zlib');
    expect(spdxExpression('GPL-3+ with GCC-exception')).toBe('GPL-3.0-or-later WITH GCC-exception-3.1');
    expect(spdxExpression('GPL-2+ with OpenSSL exception')).toBe('LicenseRef-GPL-2-or-later-with-OpenSSL-exception');
  });
  it('reads a machine-readable copyright file: every Files license, texts for the references', () => {
    const license = declaredLicense(DEP5, '/usr/share/doc/curl/copyright');
    expect(license.machineReadable).toBe(true);
    expect(license.expression).toBe('curl AND LicenseRef-public-domain AND (GPL-2.0-or-later OR MIT)');
    expect(license.references.get('LicenseRef-public-domain')).toBe('Public domain, no warranty.');
  });
  it('keeps only the common-licenses hint of a free-form file', () => {
    expect(declaredLicense(FREE_FORM, 'x')).toEqual({ machineReadable: false, expression: undefined, debianNames: [], references: new Map(), commonLicenses: ['LGPL-2.1'] });
  });
});

describe('apt', () => {
  it('reads deb822 and one-line sources', () => {
    expect(parseSourcesFile('/a.sources', 'Types: deb\nURIs: http://m/debian\nSuites: bookworm bookworm-updates\nComponents: main contrib\n\nEnabled: no\nTypes: deb\nURIs: http://x\nSuites: y\n'))
      .toEqual([{ file: '/a.sources', types: ['deb'], uris: ['http://m/debian'], suites: ['bookworm', 'bookworm-updates'], components: ['main', 'contrib'] }]);
    expect(parseListFile('/b.list', 'deb [signed-by=/k.gpg] http://r stable main\n#deb http://no x y\n'))
      .toEqual([{ file: '/b.list', types: ['deb'], uris: ['http://r'], suites: ['stable'], components: ['main'] }]);
  });
  it('reads the repositories of the installed version from apt-cache policy', () => {
    const origins = parseAptPolicy(POLICY);
    expect(origins.get('libc6')).toEqual(['http://deb.debian.org/debian bookworm/main', 'http://deb.debian.org/debian-security bookworm-security/main']);
    expect(origins.has('curl')).toBe(false);
  });
});

describe('which hook installed a package', () => {
  const root = { phase: 'root', hook: '10-debian-bootstrap', flavour: 'debian' };
  const web = { phase: 'install', hook: '50-web', flavour: 'web' };
  const bootloader = { phase: 'install', hook: '05-bootloader-packages', flavour: 'bootloader' };

  it('follows the lines kiln writes into the dpkg log before each hook, whatever the times', () => {
    const at = new Date('2023-11-14T22:13:20Z');
    expect(markerLine(bootloader, at)).toBe('2023-11-14 22:13:20 kiln-hook install 05-bootloader-packages bootloader\n');
    const log = [
      '2020-01-01 00:00:00 status installed libc6:amd64 2.36',
      markerLine(bootloader, at).trim(),
      '2023-11-14 22:13:20 status installed grub-pc-bin:amd64 2.06',
      markerLine(web, at).trim(),
      '2023-11-14 22:13:20 status installed curl:amd64 7',
      '2023-11-14 22:13:21 status installed libc6:amd64 2.36-2',
      '',
    ].join('\n');
    expect([...attributeInstalls(log, [], root)]).toEqual([['libc6', web], ['grub-pc-bin', bootloader], ['curl', web]]);
    // Without a root.d hook in the plan, what came before the first line stays unattributed.
    expect(attributeInstalls(log.replace(/.*libc6:amd64 2.36-2\n/, ''), [], undefined).has('libc6')).toBe(false);
  });

  it('without the lines, matches dpkg log times (UTC seconds) to this build\'s hook windows', () => {
    const log = '2023-01-01 00:00:00 status installed libc6:amd64 2.36\n2023-11-14 22:13:21 status installed curl:amd64 7.88.1\n2023-11-14 22:14:00 status installed vim:amd64 9\n';
    expect(dpkgInstalls(log)[1]).toEqual({ name: 'curl', atMs: 1700000001000 });
    const run = { ...web, startedMs: 1700000000500, endedMs: 1700000030000 };
    expect([...attributeInstalls(log, [run], root)]).toEqual([['libc6', root], ['curl', web]]);
    expect([...attributeInstalls(log, [run], undefined)]).toEqual([['curl', web]]);
    // A package dpkg never logged (the bootstrap tool removed its log) came with the root.
    expect(attributeInstalls(log, [run], root, ['base-files', 'curl']).get('base-files')).toEqual(root);
    expect(attributeInstalls(log, [run], root, ['base-files', 'curl']).get('curl')).toEqual(web);
  });
});

describe('image inventory and SBOMs', () => {
  it('reads packages with licenses (through a linked doc folder), repositories, sources and os-release', () => {
    const tmp = tempDir();
    try {
      fakeRoot(tmp.path);
      const inventory = readInventoryOf(tmp.path);
      expect(inventory.osRelease.VERSION_CODENAME).toBe('bookworm');
      const byName = new Map(inventory.packages.map((p) => [p.name, p]));
      expect(byName.get('libgcc-s1')!.license?.expression).toBe('GPL-3.0-or-later WITH GCC-exception-3.1 AND LicenseRef-GPL-2-or-later-with-OpenSSL-exception');
      expect(byName.get('libgcc-s1')!.automatic).toBe(true);
      expect(byName.get('libc6')!.license?.commonLicenses).toEqual(['LGPL-2.1']);
      expect(byName.get('libc6')!.repositories).toHaveLength(2);
      expect(inventory.aptSources.map((s) => [s.file, s.uris[0], s.suites.join(' ')])).toEqual([
        ['/etc/apt/sources.list.d/debian.sources', 'http://deb.debian.org/debian', 'bookworm bookworm-updates'],
        ['/etc/apt/sources.list.d/extra.list', 'http://example.org/repo', 'stable'],
      ]);
    } finally {
      tmp.cleanup();
    }
  });

  it('finds the packages that own some files, through merged-/usr links', () => {
    const tmp = tempDir();
    try {
      writeTree(tmp.path, {
        lib: { link: 'usr/lib' }, bin: { link: 'usr/bin' },
        'usr/lib/x86_64-linux-gnu/libc.so.6': 'elf', 'usr/bin/busybox': 'elf', 'usr/bin/other': 'elf',
        'var/lib/dpkg/info/libc6:amd64.list': '/.\n/lib\n/lib/x86_64-linux-gnu\n/lib/x86_64-linux-gnu/libc.so.6\n',
        'var/lib/dpkg/info/busybox-static.list': '/.\n/bin\n/bin/busybox\n',
        'var/lib/dpkg/info/other.list': '/usr/bin/other\n',
        'var/lib/dpkg/info/other.md5sums': 'x /usr/bin/busybox\n',
      });
      const owners = owningPackages(diskRootView(tmp.path), ['/usr/bin/busybox', '/lib/x86_64-linux-gnu/libc.so.6', '/usr/lib/missing.so']);
      expect([...owners].sort()).toEqual(['busybox-static', 'libc6']);
    } finally {
      tmp.cleanup();
    }
  });

  it('never follows a link out of the root', () => {
    const tmp = tempDir();
    try {
      writeTree(tmp.path, { 'root/var/lib/dpkg': { link: '../../outside' }, 'outside/status': STATUS });
      expect(readInventoryOf(`${tmp.path}/root`).packages).toEqual([]);
    } finally {
      tmp.cleanup();
    }
  });

  it('writes package URLs that packageurl-js reads back', () => {
    const purl = debPurl({ name: 'libc6', version: '1:2.36-9+deb12u4', architecture: 'amd64' }, { ID: 'debian', VERSION_ID: '12' });
    expect(purl).toBe('pkg:deb/debian/libc6@1%3A2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12');
    const parsed = PackageURL.fromString(purl);
    expect([parsed.type, parsed.namespace, parsed.name, parsed.version]).toEqual(['deb', 'debian', 'libc6', '1:2.36-9+deb12u4']);
  });

  it('CycloneDX: valid for the CycloneDX library, one component per package, the dependency graph, the same bytes twice', async () => {
    const tmp = tempDir();
    try {
      fakeRoot(tmp.path);
      const doc = cyclonedxDocument(sbomInputs(tmp.path)) as Record<string, any>;
      const json = JSON.stringify(doc);
      expect(await cyclonedxErrors(json)).toBeNull();
      expect(JSON.stringify(cyclonedxDocument(sbomInputs(tmp.path)))).toBe(json);
      expect(doc.metadata.timestamp).toBe('2023-11-14T22:13:20Z');
      expect(doc.components.map((c: any) => [c.name, c.version])).toEqual([['curl', '7.88.1-10+deb12u5'], ['libc6', '2.36-9+deb12u4'], ['libgcc-s1', '12.2.0-14']]);
      const curl = doc.components[0];
      expect(curl.licenses).toEqual([{ expression: 'curl AND LicenseRef-public-domain AND (GPL-2.0-or-later OR MIT)' }]);
      expect(curl.properties).toEqual(expect.arrayContaining([{ name: 'kiln:flavour', value: 'web' }, { name: 'kiln:provenance', value: 'listed in web/package-installs' }]));
      const libgcc = doc.dependencies.find((d: any) => d.ref.includes('/libgcc-s1@'));
      expect(libgcc.dependsOn).toEqual([doc.components[1]['bom-ref']]);
      expect(doc.serialNumber).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    } finally {
      tmp.cleanup();
    }
  });

  it('CycloneDX: the validator catches a broken document (the check can fail)', async () => {
    expect(await cyclonedxErrors(JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.6', version: 1, components: [{ name: 'x' }] }))).not.toBeNull();
  });

  it('SPDX 2.3: every required field, relationships that resolve, declared LicenseRefs', () => {
    const tmp = tempDir();
    try {
      fakeRoot(tmp.path);
      const doc = spdxDocument(sbomInputs(tmp.path)) as Record<string, any>;
      expect(spdxProblems(doc)).toEqual([]);
      expect(JSON.stringify(spdxDocument(sbomInputs(tmp.path)))).toBe(JSON.stringify(doc));
      const names = doc.packages.map((p: any) => p.name);
      expect(names).toEqual(['web', 'curl', 'libc6', 'libgcc-s1', 'debian', 'web']);
      const id = (name: string, kind = 'Package-deb'): string => doc.packages.find((p: any) => p.name === name && p.SPDXID.includes(kind)).SPDXID;
      const has = (a: string, type: string, b: string) => doc.relationships.some((r: any) => r.spdxElementId === a && r.relationshipType === type && r.relatedSpdxElement === b);
      expect(has('SPDXRef-DOCUMENT', 'DESCRIBES', 'SPDXRef-Image-web')).toBe(true);
      expect(has('SPDXRef-Image-web', 'CONTAINS', id('curl'))).toBe(true);
      expect(has(id('libgcc-s1'), 'DEPENDS_ON', id('libc6'))).toBe(true);
      expect(has(id('web', 'Flavour'), 'DEPENDS_ON', id('curl'))).toBe(true);
      expect(has(id('debian', 'Flavour'), 'DEPENDS_ON', id('libc6'))).toBe(true);
      expect(doc.hasExtractedLicensingInfos.map((l: any) => l.licenseId)).toEqual(['LicenseRef-GPL-2-or-later-with-OpenSSL-exception', 'LicenseRef-public-domain']);
      expect(doc.packages.find((p: any) => p.name === 'libc6').sourceInfo).toBe('built from the debian source package glibc 2.36-9+deb12u4');
      // The check itself can fail.
      expect(spdxProblems({ ...doc, dataLicense: 'MIT', packages: [{ name: 'x', SPDXID: 'bad id' }] })).toEqual(expect.arrayContaining([
        '6.2 dataLicense must be CC0-1.0', '7.2 package bad id: SPDXID must match SPDXRef-[A-Za-z0-9.-]+', '7.7 package bad id: downloadLocation is required',
      ]));
    } finally {
      tmp.cleanup();
    }
  });

  it('content ids are stable and change with the content', () => {
    expect(contentUuid('a')).toBe(contentUuid('a'));
    expect(contentUuid('a')).not.toBe(contentUuid('b'));
  });
});
