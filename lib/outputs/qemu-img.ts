// qemu-img command lines for the image formats (pure). Each format is converted once, straight
// from the raw disk image; holes and zero blocks are skipped, so every output stays sparse.
import { UsageError } from '../errors.js';

/** Image formats made by `qemu-img convert`, with qemu's name for each. */
const QEMU_FORMATS: Readonly<Record<string, string>> = { qcow2: 'qcow2', vhd: 'vpc', vmdk: 'vmdk', vdi: 'vdi' };

/** One conversion. */
export interface QemuImgConversion {
  /** kiln's format name (qcow2, vhd, vmdk, vdi). */
  format: string;
  source: string;
  target: string;
  /** Compressed output (kiln's default; -u turns it off): qcow2 clusters, streamOptimized vmdk. */
  compress: boolean;
  /** This qemu-img can write zstd-compressed qcow2 (qemu ≥ 5.1 built with zstd). */
  zstd: boolean;
  /** The user's --qemu-img-options (`k=v,k2=v2`), applied after kiln's own. */
  userOptions?: string | undefined;
}

/**
 * kiln's `-o` options per format, and why:
 * - qcow2: compression_type=zstd. On a 2 GiB ext4 raw holding 0.9 GB of binaries, Python and
 *   docs (2 cores): 5-8 s and 330 MiB, against 21-36 s for zlib with the same -m 16 -W and 43-60 s
 *   for DIB's plain `-c` (339 MiB). Readers need qemu ≥ 5.1 (2020); `--qemu-img-options
 *   compression_type=zlib` gives the old format.
 * - vhd: fixed, the only VHD Azure accepts and the one every other reader (Hyper-V, Xen,
 *   VirtualBox, AWS import) takes too; it is the raw data plus a footer, and qemu-img writes it
 *   sparse (2 GiB apparent, only the data allocated). force_size keeps the virtual size exactly
 *   the raw size instead of qemu rounding it to a CHS geometry (the resize trouble DIB documents
 *   for XenServer). `--qemu-img-options subformat=dynamic` gives a file that is small apparently too.
 * - vmdk: streamOptimized is the compressed, sequential form vSphere/ESXi import (OVA/OVF) and
 *   OpenStack's VMware driver expect; VirtualBox and qemu read it too. Its deflate runs on one
 *   thread (40 s for the 2 GiB test disk), so -u gives monolithicSparse instead (1 s), qemu's
 *   default and what VMware Workstation uses.
 * - vdi: qemu's default, a dynamically allocated VDI.
 */
export function kilnOptions(conversion: Pick<QemuImgConversion, 'format' | 'compress' | 'zstd'>): string[] {
  switch (conversion.format) {
    case 'qcow2':
      return conversion.compress && conversion.zstd ? ['compression_type=zstd'] : [];
    case 'vhd':
      return ['subformat=fixed', 'force_size=on'];
    case 'vmdk':
      return [conversion.compress ? 'subformat=streamOptimized' : 'subformat=monolithicSparse'];
    default:
      return [];
  }
}

/** argv of `qemu-img convert` for one conversion. */
export function qemuImgConvertArgv(conversion: QemuImgConversion): string[] {
  const qemuFormat = QEMU_FORMATS[conversion.format];
  if (!qemuFormat) throw new UsageError(`${conversion.format} is not made by qemu-img; image formats: ${Object.keys(QEMU_FORMATS).join(', ')}`);
  const own = kilnOptions(conversion);
  return [
    'qemu-img', 'convert', '-f', 'raw', '-O', qemuFormat,
    ...(conversion.format === 'qcow2' && conversion.compress ? ['-c'] : []),
    // 16 coroutines (qemu-img's maximum) with out-of-order writes keep every core compressing:
    // on the 2 GiB test disk zstd 8-11 s → 5-8 s and zlib 43-60 s → 21-36 s.
    '-m', '16', '-W',
    // qemu-img joins repeated -o and the last value of a key wins: the user's override kiln's.
    ...(own.length ? ['-o', own.join(',')] : []),
    ...(conversion.userOptions ? ['-o', conversion.userOptions] : []),
    conversion.source, conversion.target,
  ];
}

/** Checks `--qemu-img-options` syntax: comma-separated `key=value` (`,,` is a literal comma). */
export function checkQemuImgOptions(text: string, where = '--qemu-img-options'): string {
  const items = text.replace(/,,/g, '\u0000').split(',');
  for (const item of items) {
    if (!/^[A-Za-z][\w.-]*=/.test(item)) {
      throw new UsageError(`${where} "${text}": "${item.replace(/\u0000/g, ',')}" is not key=value`,
        'give comma-separated qemu-img -o options, e.g. --qemu-img-options compat=1.1,cluster_size=2M');
    }
  }
  return text;
}
