// Builds small but well-formed ELF files for tests: a program or library with PT_INTERP and a
// dynamic section (DT_NEEDED, DT_RPATH, DT_RUNPATH), or a relocatable object with a .modinfo
// section (a kernel module as depmod and the ramdisk read it). 32- or 64-bit, little-endian.

/** What to put in the file. */
export interface ElfSpec {
  bits?: 32 | 64;
  /** e_machine; default 62 (x86-64). */
  machine?: number;
  /** e_type; default 3 (shared object / PIE), 1 for a module. */
  type?: number;
  interpreter?: string;
  needed?: string[];
  rpath?: string;
  runpath?: string;
  /** `key=value` entries of a .modinfo section. */
  modinfo?: string[];
}

const BASE_ADDR = 0x400000;

class Writer {
  readonly parts: Buffer[] = [];
  length = 0;

  add(buf: Buffer): number {
    const at = this.length;
    this.parts.push(buf);
    this.length += buf.length;
    return at;
  }

  align(n: number): void {
    const pad = (n - (this.length % n)) % n;
    if (pad) this.add(Buffer.alloc(pad));
  }
}

function word(bits: 32 | 64, value: number): Buffer {
  const b = Buffer.alloc(bits / 8);
  if (bits === 64) b.writeBigUInt64LE(BigInt(value));
  else b.writeUInt32LE(value);
  return b;
}

function dynamicSection(spec: ElfSpec, bits: 32 | 64, strtabAddr: number, offsets: Map<string, number>): Buffer {
  const entries: [number, number][] = [];
  for (const name of spec.needed ?? []) entries.push([1, offsets.get(name)!]);
  if (spec.rpath !== undefined) entries.push([15, offsets.get(spec.rpath)!]);
  if (spec.runpath !== undefined) entries.push([29, offsets.get(spec.runpath)!]);
  entries.push([5, strtabAddr], [0, 0]);
  return Buffer.concat(entries.flatMap(([tag, value]) => [word(bits, tag), word(bits, value)]));
}

function stringTable(strings: string[]): { buf: Buffer; offsets: Map<string, number> } {
  const offsets = new Map<string, number>();
  const parts: Buffer[] = [Buffer.from([0])];
  let at = 1;
  for (const s of strings) {
    if (offsets.has(s)) continue;
    offsets.set(s, at);
    const b = Buffer.from(`${s}\0`, 'latin1');
    parts.push(b);
    at += b.length;
  }
  return { buf: Buffer.concat(parts), offsets };
}

/** An ELF file as a Buffer. */
export function buildElf(spec: ElfSpec): Buffer {
  const bits = spec.bits ?? 64;
  const ehsize = bits === 64 ? 64 : 52;
  const phentsize = bits === 64 ? 56 : 32;
  const shentsize = bits === 64 ? 64 : 40;
  const dynamic = spec.interpreter !== undefined || spec.needed !== undefined || spec.rpath !== undefined || spec.runpath !== undefined;
  const phnum = dynamic ? 3 : 0;
  const w = new Writer();
  w.add(Buffer.alloc(ehsize + phnum * phentsize));
  const interpAt = spec.interpreter !== undefined ? w.add(Buffer.from(`${spec.interpreter}\0`)) : 0;
  const strings = stringTable([...(spec.needed ?? []), ...(spec.rpath !== undefined ? [spec.rpath] : []), ...(spec.runpath !== undefined ? [spec.runpath] : [])]);
  w.align(8);
  const strAt = w.add(strings.buf);
  w.align(8);
  const dynBuf = dynamicSection(spec, bits, BASE_ADDR + strAt, strings.offsets);
  const dynAt = dynamic ? w.add(dynBuf) : 0;
  // Sections: null, .modinfo (optional), .shstrtab.
  const modinfo = Buffer.from((spec.modinfo ?? []).map((e) => `${e}\0`).join(''), 'latin1');
  const modinfoAt = spec.modinfo ? w.add(modinfo) : 0;
  const shstr = Buffer.from('\0.modinfo\0.shstrtab\0', 'latin1');
  const shstrAt = w.add(shstr);
  w.align(8);
  const sections: [number, number, number][] = [[0, 0, 0]];
  if (spec.modinfo) sections.push([1, modinfoAt, modinfo.length]);
  sections.push([10, shstrAt, shstr.length]);
  const shoff = w.length;
  for (const [name, offset, size] of sections) {
    const sh = Buffer.alloc(shentsize);
    sh.writeUInt32LE(name, 0);
    sh.writeUInt32LE(name === 0 && offset === 0 ? 0 : name === 10 ? 3 : 1, 4);
    if (bits === 64) {
      sh.writeBigUInt64LE(BigInt(offset), 24);
      sh.writeBigUInt64LE(BigInt(size), 32);
    } else {
      sh.writeUInt32LE(offset, 16);
      sh.writeUInt32LE(size, 20);
    }
    w.add(sh);
  }
  const out = Buffer.concat(w.parts);
  writeHeader(out, { bits, machine: spec.machine ?? 62, type: spec.type ?? (dynamic ? 3 : 1), phnum, phentsize, shoff, shentsize, shnum: sections.length });
  if (dynamic) {
    const total = out.length;
    const headers: [number, number, number][] = [
      [3, interpAt, spec.interpreter !== undefined ? spec.interpreter.length + 1 : 0],
      [1, 0, total],
      [2, dynAt, dynBuf.length],
    ];
    headers.forEach(([type, offset, size], i) => writeProgramHeader(out, bits, ehsize + i * phentsize, type, offset, size));
    if (spec.interpreter === undefined) out.writeUInt32LE(6, ehsize); // PT_PHDR instead of PT_INTERP
  }
  return out;
}

function writeHeader(out: Buffer, h: { bits: 32 | 64; machine: number; type: number; phnum: number; phentsize: number; shoff: number; shentsize: number; shnum: number }): void {
  out.set([0x7f, 0x45, 0x4c, 0x46, h.bits === 64 ? 2 : 1, 1, 1], 0);
  out.writeUInt16LE(h.type, 16);
  out.writeUInt16LE(h.machine, 18);
  out.writeUInt32LE(1, 20);
  if (h.bits === 64) {
    out.writeBigUInt64LE(BigInt(h.phnum ? 64 : 0), 32);
    out.writeBigUInt64LE(BigInt(h.shoff), 40);
    out.writeUInt16LE(64, 52);
    out.writeUInt16LE(h.phentsize, 54);
    out.writeUInt16LE(h.phnum, 56);
    out.writeUInt16LE(h.shentsize, 58);
    out.writeUInt16LE(h.shnum, 60);
    out.writeUInt16LE(h.shnum - 1, 62);
  } else {
    out.writeUInt32LE(h.phnum ? 52 : 0, 28);
    out.writeUInt32LE(h.shoff, 32);
    out.writeUInt16LE(52, 40);
    out.writeUInt16LE(h.phentsize, 42);
    out.writeUInt16LE(h.phnum, 44);
    out.writeUInt16LE(h.shentsize, 46);
    out.writeUInt16LE(h.shnum, 48);
    out.writeUInt16LE(h.shnum - 1, 50);
  }
}

function writeProgramHeader(out: Buffer, bits: 32 | 64, at: number, type: number, offset: number, size: number): void {
  out.writeUInt32LE(type, at);
  if (bits === 64) {
    out.writeBigUInt64LE(BigInt(offset), at + 8);
    out.writeBigUInt64LE(BigInt(BASE_ADDR + offset), at + 16);
    out.writeBigUInt64LE(BigInt(BASE_ADDR + offset), at + 24);
    out.writeBigUInt64LE(BigInt(size), at + 32);
    out.writeBigUInt64LE(BigInt(size), at + 40);
  } else {
    out.writeUInt32LE(offset, at + 4);
    out.writeUInt32LE(BASE_ADDR + offset, at + 8);
    out.writeUInt32LE(BASE_ADDR + offset, at + 12);
    out.writeUInt32LE(size, at + 16);
    out.writeUInt32LE(size, at + 20);
  }
}
