// A miniature merged-/usr Debian root (amd64) for the resolution tests: the loader, libc, the
// multiarch ld.so.conf.d file, a 32-bit libc in /usr/lib32 as a decoy, and a few programs.
import { buildElf } from './elf-builder.js';
import type { MemoryEntry } from './memory-view.js';

export const LOADER = '/lib64/ld-linux-x86-64.so.2';
const MA = '/usr/lib/x86_64-linux-gnu';

/** Entries of the root; `extra` adds or replaces some. */
export function debianRoot(extra: Record<string, MemoryEntry> = {}): Record<string, MemoryEntry> {
  return {
    '/bin': { link: 'usr/bin' },
    '/sbin': { link: 'usr/sbin' },
    '/lib': { link: 'usr/lib' },
    '/lib64': { link: 'usr/lib64' },
    '/usr/lib64/ld-linux-x86-64.so.2': { link: '../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2' },
    [`${MA}/ld-linux-x86-64.so.2`]: buildElf({ needed: [] }),
    [`${MA}/libc.so.6`]: buildElf({ needed: ['ld-linux-x86-64.so.2'] }),
    [`${MA}/libz.so.1`]: { link: 'libz.so.1.2.13' },
    [`${MA}/libz.so.1.2.13`]: buildElf({ needed: ['libc.so.6'] }),
    '/usr/lib32/libz.so.1': buildElf({ bits: 32, machine: 3, needed: ['libc.so.6'] }),
    '/usr/lib32/libc.so.6': buildElf({ bits: 32, machine: 3 }),
    '/etc/ld.so.conf': 'include /etc/ld.so.conf.d/*.conf\n',
    '/etc/ld.so.conf.d/libc.conf': '# libc default configuration\n/usr/local/lib\n',
    '/etc/ld.so.conf.d/x86_64-linux-gnu.conf': '# Multiarch support\n/usr/local/lib/x86_64-linux-gnu\n/lib/x86_64-linux-gnu\n/usr/lib/x86_64-linux-gnu\n',
    '/usr/bin/busybox': buildElf({ type: 2 }),
    '/usr/bin/gzip': buildElf({ interpreter: LOADER, needed: ['libc.so.6'] }),
    '/usr/bin/zpipe': buildElf({ interpreter: LOADER, needed: ['libz.so.1', 'libc.so.6'] }),
    ...extra,
  };
}
