// The ELF reader on files built to a known layout (the real-world check against ldd is in
// test/files/ramdisk/library-closure-host.test.ts).
import { describe, expect, it } from 'vitest';
import { elfSection, isElf, modinfoValues, parseElf, shebang } from '../../../lib/ramdisk/elf.js';
import { buildElf } from './elf-builder.js';

describe('parseElf', () => {
  it('reads interpreter, DT_NEEDED in order, RPATH and RUNPATH of a 64-bit program', () => {
    const elf = parseElf(buildElf({ interpreter: '/lib64/ld-linux-x86-64.so.2', needed: ['libz.so.1', 'libc.so.6'], rpath: '/opt/a:/opt/b', runpath: '$ORIGIN/../lib' }));
    expect(elf).toEqual({
      bits: 64, littleEndian: true, machine: 62, type: 3,
      interpreter: '/lib64/ld-linux-x86-64.so.2', needed: ['libz.so.1', 'libc.so.6'], rpath: ['/opt/a', '/opt/b'], runpath: ['$ORIGIN/../lib'],
    });
  });

  it('reads 32-bit files and their machine', () => {
    const elf = parseElf(buildElf({ bits: 32, machine: 3, interpreter: '/lib/ld-linux.so.2', needed: ['libc.so.6'] }));
    expect(elf).toMatchObject({ bits: 32, machine: 3, interpreter: '/lib/ld-linux.so.2', needed: ['libc.so.6'] });
  });

  it('gives a static program no interpreter and no libraries', () => {
    expect(parseElf(buildElf({ type: 2 }))).toMatchObject({ interpreter: undefined, needed: [], type: 2 });
  });

  it('is undefined for scripts, empty and truncated files', () => {
    expect(parseElf(Buffer.from('#!/bin/sh\necho hi\n'))).toBeUndefined();
    expect(parseElf(Buffer.alloc(0))).toBeUndefined();
    expect(parseElf(buildElf({ needed: ['libc.so.6'] }).subarray(0, 20))).toBeUndefined();
    expect(isElf(Buffer.from([0x7f, 0x45, 0x4c]))).toBe(false);
  });

  it('survives a dynamic section that points past the end of the file', () => {
    const buf = buildElf({ needed: ['libc.so.6'] });
    expect(parseElf(buf.subarray(0, buf.length - 200))).toBeDefined();
  });
});

describe('modinfo', () => {
  it('reads firmware names from a module .modinfo section', () => {
    const ko = buildElf({ modinfo: ['license=GPL', 'firmware=e100/d101m_ucode.bin', 'firmware=e100/d102e_ucode.bin', 'depends='] });
    expect(modinfoValues(ko, 'firmware')).toEqual(['e100/d101m_ucode.bin', 'e100/d102e_ucode.bin']);
    expect(modinfoValues(ko, 'license')).toEqual(['GPL']);
    expect(elfSection(ko, '.nothing')).toBeUndefined();
    expect(modinfoValues(Buffer.from('not elf'), 'firmware')).toEqual([]);
  });
});

describe('shebang', () => {
  it('splits the interpreter line', () => {
    expect(shebang(Buffer.from('#!/bin/sh -e\nexit 0\n'))).toEqual(['/bin/sh', '-e']);
    expect(shebang(Buffer.from('#! /usr/bin/env python3\n'))).toEqual(['/usr/bin/env', 'python3']);
    expect(shebang(Buffer.from('echo no\n'))).toBeUndefined();
    expect(shebang(Buffer.from('#!\n'))).toBeUndefined();
  });
});
