// A small ELF reader: just what the ramdisk needs to copy a program with its shared libraries
// (PT_INTERP, DT_NEEDED, DT_RPATH, DT_RUNPATH) and a kernel module with its firmware
// (the .modinfo section). Reading the headers ourselves instead of running `ldd` means nothing
// from the image root is ever executed on the host, and the result does not depend on the host's
// libraries (ldd resolves against the host, not the image). Pure: works on a Buffer.

/** What the ramdisk needs to know about one ELF file. */
export interface ElfInfo {
  /** 32 or 64 bit. */
  bits: 32 | 64;
  littleEndian: boolean;
  /** e_machine (62 = x86-64, 183 = AArch64, 3 = i386). */
  machine: number;
  /** e_type (2 = executable, 3 = shared object or PIE, 1 = relocatable such as a .ko). */
  type: number;
  /** Program interpreter (the dynamic loader), absent for static programs. */
  interpreter: string | undefined;
  /** DT_NEEDED entries in file order. */
  needed: string[];
  /** DT_RPATH entries (colon lists already split). */
  rpath: string[];
  /** DT_RUNPATH entries. */
  runpath: string[];
}

const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const PT_INTERP = 3;
const DT_NEEDED = 1;
const DT_STRTAB = 5;
const DT_RPATH = 15;
const DT_RUNPATH = 29;

/** Reads integers of the file's class and byte order. */
class Reader {
  constructor(
    readonly buf: Buffer,
    readonly bits: 32 | 64,
    readonly le: boolean,
  ) {}

  u16(at: number): number {
    return this.le ? this.buf.readUInt16LE(at) : this.buf.readUInt16BE(at);
  }

  u32(at: number): number {
    return this.le ? this.buf.readUInt32LE(at) : this.buf.readUInt32BE(at);
  }

  /** A word: 4 bytes in 32-bit files, 8 in 64-bit ones (as a Number: files are < 2^53 bytes). */
  word(at: number): number {
    if (this.bits === 32) return this.u32(at);
    return Number(this.le ? this.buf.readBigUInt64LE(at) : this.buf.readBigUInt64BE(at));
  }

  /** A NUL-terminated string at `at`. */
  cString(at: number): string {
    const end = this.buf.indexOf(0, at);
    return this.buf.toString('latin1', at, end < 0 ? this.buf.length : end);
  }
}

interface Segment {
  type: number;
  offset: number;
  vaddr: number;
  filesz: number;
}

/** True if `buf` starts with the ELF magic. */
export function isElf(buf: Buffer): boolean {
  return buf.length >= 16 && buf[0] === 0x7f && buf[1] === 0x45 && buf[2] === 0x4c && buf[3] === 0x46;
}

function readerFor(buf: Buffer): Reader | undefined {
  if (!isElf(buf)) return undefined;
  const bits = buf[4] === 1 ? 32 : buf[4] === 2 ? 64 : undefined;
  const le = buf[5] === 1 ? true : buf[5] === 2 ? false : undefined;
  if (bits === undefined || le === undefined || buf.length < (bits === 64 ? 64 : 52)) return undefined;
  return new Reader(buf, bits, le);
}

function segments(r: Reader): Segment[] {
  const phoff = r.word(r.bits === 64 ? 32 : 28);
  const entsize = r.u16(r.bits === 64 ? 54 : 42);
  const count = r.u16(r.bits === 64 ? 56 : 44);
  const out: Segment[] = [];
  for (let i = 0; i < count; i++) {
    const at = phoff + i * entsize;
    if (at + entsize > r.buf.length) break;
    out.push(
      r.bits === 64
        ? { type: r.u32(at), offset: r.word(at + 8), vaddr: r.word(at + 16), filesz: r.word(at + 32) }
        : { type: r.u32(at), offset: r.u32(at + 4), vaddr: r.u32(at + 8), filesz: r.u32(at + 16) },
    );
  }
  return out;
}

/** File offset of virtual address `vaddr`, through the PT_LOAD segment that maps it. */
function fileOffset(loads: Segment[], vaddr: number): number | undefined {
  const seg = loads.find((s) => vaddr >= s.vaddr && vaddr < s.vaddr + s.filesz);
  return seg === undefined ? undefined : vaddr - seg.vaddr + seg.offset;
}

function dynamicEntries(r: Reader, dynamic: Segment): { tag: number; value: number }[] {
  const size = r.bits === 64 ? 16 : 8;
  const out: { tag: number; value: number }[] = [];
  for (let at = dynamic.offset; at + size <= Math.min(r.buf.length, dynamic.offset + dynamic.filesz); at += size) {
    const tag = r.word(at);
    if (tag === 0) break;
    out.push({ tag, value: r.word(at + size / 2) });
  }
  return out;
}

function splitPath(value: string): string[] {
  return value.split(':').filter((p) => p.length > 0);
}

/** Parses the headers of an ELF file; undefined if `buf` is not ELF (or is truncated). */
export function parseElf(buf: Buffer): ElfInfo | undefined {
  const r = readerFor(buf);
  if (!r) return undefined;
  const info: ElfInfo = {
    bits: r.bits, littleEndian: r.le, machine: r.u16(18), type: r.u16(16),
    interpreter: undefined, needed: [], rpath: [], runpath: [],
  };
  const segs = segments(r);
  const interp = segs.find((s) => s.type === PT_INTERP);
  if (interp) info.interpreter = r.cString(interp.offset);
  const dynamic = segs.find((s) => s.type === PT_DYNAMIC);
  if (!dynamic) return info;
  const entries = dynamicEntries(r, dynamic);
  const strtabAddr = entries.find((e) => e.tag === DT_STRTAB)?.value;
  const strtab = strtabAddr === undefined ? undefined : fileOffset(segs.filter((s) => s.type === PT_LOAD), strtabAddr);
  if (strtab === undefined) return info;
  for (const e of entries) {
    if (e.tag === DT_NEEDED) info.needed.push(r.cString(strtab + e.value));
    else if (e.tag === DT_RPATH) info.rpath.push(...splitPath(r.cString(strtab + e.value)));
    else if (e.tag === DT_RUNPATH) info.runpath.push(...splitPath(r.cString(strtab + e.value)));
  }
  return info;
}

/** The bytes of the named section (e.g. `.modinfo`), or undefined. */
export function elfSection(buf: Buffer, name: string): Buffer | undefined {
  const r = readerFor(buf);
  if (!r) return undefined;
  const shoff = r.word(r.bits === 64 ? 40 : 32);
  const entsize = r.u16(r.bits === 64 ? 58 : 46);
  const count = r.u16(r.bits === 64 ? 60 : 48);
  const strndx = r.u16(r.bits === 64 ? 62 : 50);
  const header = (i: number): { name: number; offset: number; size: number } | undefined => {
    const at = shoff + i * entsize;
    if (shoff === 0 || at + entsize > buf.length) return undefined;
    return r.bits === 64
      ? { name: r.u32(at), offset: r.word(at + 24), size: r.word(at + 32) }
      : { name: r.u32(at), offset: r.u32(at + 16), size: r.u32(at + 20) };
  };
  const names = header(strndx);
  if (!names) return undefined;
  for (let i = 0; i < count; i++) {
    const h = header(i);
    if (h && r.cString(names.offset + h.name) === name) return buf.subarray(h.offset, Math.min(buf.length, h.offset + h.size));
  }
  return undefined;
}

/** `key=value` pairs of a kernel module's .modinfo section with the given key (e.g. firmware). */
export function modinfoValues(buf: Buffer, key: string): string[] {
  const section = elfSection(buf, '.modinfo');
  if (!section) return [];
  return section
    .toString('latin1')
    .split('\0')
    .filter((entry) => entry.startsWith(`${key}=`))
    .map((entry) => entry.slice(key.length + 1));
}

/** The interpreter line of a script (`#!/bin/sh -e` → ['/bin/sh', '-e']), or undefined. */
export function shebang(buf: Buffer): string[] | undefined {
  if (buf.length < 3 || buf[0] !== 0x23 || buf[1] !== 0x21) return undefined;
  const end = buf.indexOf(0x0a);
  const line = buf.toString('utf8', 2, end < 0 ? Math.min(buf.length, 256) : end).trim();
  const words = line.split(/\s+/).filter(Boolean);
  return words.length ? words : undefined;
}
