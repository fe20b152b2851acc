// The library closure follows the loader's rules over an in-memory Debian root.
import { describe, expect, it } from 'vitest';
import { defaultLibraryDirs, expandGlob, ldConfDirs } from '../../../lib/ramdisk/ld-conf.js';
import { expandTokens, libraryClosure } from '../../../lib/ramdisk/library-closure.js';
import { buildElf } from './elf-builder.js';
import { debianRoot, LOADER } from './debian-root.js';
import { memoryView } from './memory-view.js';

const MA = '/usr/lib/x86_64-linux-gnu';

describe('ld.so.conf', () => {
  it('reads includes with globs in order, ignoring comments', () => {
    const view = memoryView(debianRoot());
    expect(ldConfDirs(view)).toEqual(['/usr/local/lib', '/usr/local/lib/x86_64-linux-gnu', '/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu']);
  });

  it('survives an include loop and a missing file', () => {
    expect(ldConfDirs(memoryView({ '/etc/ld.so.conf': 'include /etc/ld.so.conf\n/opt/lib\n' }))).toContain('/opt/lib');
    expect(ldConfDirs(memoryView({}))).toEqual([]);
  });

  it('expands globs through linked folders, sorted', () => {
    const view = memoryView({ '/etc/x': { link: 'y' }, '/etc/y/b.conf': '', '/etc/y/a.conf': '', '/etc/y/.hidden.conf': '', '/etc/y/c.txt': '' });
    expect(expandGlob(view, '/etc/x/*.conf')).toEqual(['/etc/x/a.conf', '/etc/x/b.conf']);
  });

  it('knows the built-in folders per architecture', () => {
    expect(defaultLibraryDirs(62, 64)).toEqual(['/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib64', '/usr/lib64', '/lib', '/usr/lib']);
    expect(defaultLibraryDirs(183, 64)[0]).toBe('/lib/aarch64-linux-gnu');
  });
});

describe('libraryClosure', () => {
  it('copies a dynamic program with the loader, its libraries and every link on the way', () => {
    const closure = libraryClosure(memoryView(debianRoot()), ['/bin/zpipe']);
    expect(closure.files).toEqual(['/usr/bin/zpipe', `${MA}/ld-linux-x86-64.so.2`, `${MA}/libc.so.6`, `${MA}/libz.so.1.2.13`]);
    expect(closure.links).toEqual([
      { path: '/bin', target: 'usr/bin' },
      { path: '/lib', target: 'usr/lib' },
      { path: '/lib64', target: 'usr/lib64' },
      { path: `${MA}/libz.so.1`, target: 'libz.so.1.2.13' },
      { path: '/usr/lib64/ld-linux-x86-64.so.2', target: '../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2' },
    ]);
    expect(closure.missing).toEqual([]);
  });

  it('skips a library of another class, as the loader does (lib32 listed first)', () => {
    const root = debianRoot({ '/etc/ld.so.conf.d/000-lib32.conf': '/usr/lib32\n' });
    const closure = libraryClosure(memoryView(root), ['/usr/bin/zpipe']);
    expect(closure.files).toContain(`${MA}/libz.so.1.2.13`);
    expect(closure.files.filter((f) => f.startsWith('/usr/lib32'))).toEqual([]);
  });

  it('searches RPATH before the system folders, and ignores RPATH when RUNPATH is present', () => {
    const root = debianRoot({
      '/opt/app/bin/a': buildElf({ interpreter: LOADER, needed: ['libz.so.1'], rpath: '$ORIGIN/../lib' }),
      '/opt/app/bin/b': buildElf({ interpreter: LOADER, needed: ['libz.so.1'], rpath: '/opt/app/lib', runpath: '/opt/other' }),
      '/opt/app/lib/libz.so.1': buildElf({ needed: ['libc.so.6'] }),
    });
    const view = memoryView(root);
    expect(libraryClosure(view, ['/opt/app/bin/a']).files).toContain('/opt/app/lib/libz.so.1');
    const b = libraryClosure(view, ['/opt/app/bin/b']).files;
    expect(b).toContain(`${MA}/libz.so.1.2.13`);
    expect(b).not.toContain('/opt/app/lib/libz.so.1');
  });

  it('uses RUNPATH of the object itself', () => {
    const root = debianRoot({
      '/usr/lib/foo/libfoo.so': buildElf({ needed: ['libc.so.6'] }),
      '/usr/bin/foo': buildElf({ interpreter: LOADER, needed: ['libfoo.so'], runpath: '/usr/lib/foo' }),
    });
    expect(libraryClosure(memoryView(root), ['/usr/bin/foo']).files).toContain('/usr/lib/foo/libfoo.so');
  });

  it('reuses a library the program already loaded by that name, as the loader does (systemd)', () => {
    const sd = `${MA}/systemd`;
    const root = debianRoot({
      [`${sd}/libsystemd-shared-252.so`]: buildElf({ needed: ['libc.so.6'] }),
      [`${sd}/libsystemd-core-252.so`]: buildElf({ needed: ['libsystemd-shared-252.so'] }),
      '/usr/bin/systemd': buildElf({ interpreter: LOADER, needed: ['libsystemd-core-252.so', 'libsystemd-shared-252.so'], runpath: sd }),
      '/usr/bin/other': buildElf({ interpreter: LOADER, needed: ['libsystemd-core-252.so'], runpath: sd }),
    });
    const view = memoryView(root);
    const closure = libraryClosure(view, ['/usr/bin/systemd']);
    expect(closure.missing).toEqual([]);
    expect(closure.files).toContain(`${sd}/libsystemd-shared-252.so`);
    // Another program that does not load it first really cannot find it.
    expect(libraryClosure(view, ['/usr/bin/systemd', '/usr/bin/other']).missing).toEqual([
      { object: `${sd}/libsystemd-core-252.so`, library: 'libsystemd-shared-252.so' },
    ]);
  });

  it('brings the interpreter of scripts, except the ones the ramdisk provides', () => {
    const root = debianRoot({
      '/usr/bin/script': '#!/usr/bin/gzip -d\n',
      '/usr/bin/shell-script': '#!/bin/sh\n',
      '/usr/bin/env': buildElf({ interpreter: LOADER, needed: ['libc.so.6'] }),
      '/usr/bin/envscript': '#!/usr/bin/env zpipe\n',
    });
    const view = memoryView(root);
    expect(libraryClosure(view, ['/usr/bin/script']).files).toContain('/usr/bin/gzip');
    const sh = libraryClosure(view, ['/usr/bin/shell-script'], { skipInterpreters: new Set(['/bin/sh']) });
    expect(sh).toEqual({ files: ['/usr/bin/shell-script'], links: [], missing: [] });
    expect(libraryClosure(view, ['/usr/bin/envscript']).files).toEqual(expect.arrayContaining(['/usr/bin/env', '/usr/bin/zpipe', `${MA}/libz.so.1.2.13`]));
  });

  it('reports what cannot be found, with who needs it', () => {
    const root = debianRoot({ '/usr/bin/broken': buildElf({ interpreter: LOADER, needed: ['libmissing.so.3', 'libc.so.6'] }) });
    const closure = libraryClosure(memoryView(root), ['/usr/bin/broken', '/usr/bin/absent']);
    expect(closure.missing).toEqual([
      { object: '/usr/bin/broken', library: 'libmissing.so.3' },
      { object: '/usr/bin/absent', library: '/usr/bin/absent' },
    ]);
    expect(closure.files).toContain(`${MA}/libc.so.6`);
  });

  it('visits each file once even when many programs share it, and copies static programs alone', () => {
    const closure = libraryClosure(memoryView(debianRoot()), ['/usr/bin/gzip', '/usr/bin/zpipe', '/usr/bin/gzip', '/usr/bin/busybox']);
    expect(closure.files.filter((f) => f.endsWith('libc.so.6'))).toHaveLength(1);
    expect(libraryClosure(memoryView(debianRoot()), ['/usr/bin/busybox'])).toEqual({ files: ['/usr/bin/busybox'], links: [], missing: [] });
  });
});

describe('expandTokens', () => {
  it('expands $ORIGIN, ${LIB} and $PLATFORM', () => {
    const elf = { machine: 62, bits: 64 as const };
    expect(expandTokens('$ORIGIN/../lib', '/opt/app/bin', elf)).toBe('/opt/app/lib');
    expect(expandTokens('/usr/${LIB}/x', '/', elf)).toBe('/usr/lib/x86_64-linux-gnu/x');
    expect(expandTokens('/opt/$PLATFORM', '/', elf)).toBe('/opt/x86_64');
    expect(expandTokens('relative/lib', '/opt', elf)).toBe('/relative/lib');
  });
});
