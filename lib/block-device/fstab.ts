// /etc/fstab of the image from the layout: one `UUID=` line per filesystem that has an fstab
// node, in mount order, swap last (`sw 0 0`, as DIB's level4/fstab.py). Pure.

/** One fstab line's fields. */
export interface FstabLine {
  uuid: string;
  mountPoint: string;
  type: string;
  options: string;
  dumpFreq: number;
  fsckPassno: number;
}

/** fstab escapes blanks and backslashes in paths as octal (\040). */
function escapeField(text: string): string {
  return text.replace(/[\s\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

/** The fstab text for `lines`, in the given order. */
export function fstabText(lines: readonly FstabLine[]): string {
  return lines
    .map((l) => `UUID=${l.uuid} ${escapeField(l.mountPoint)} ${l.type} ${l.options} ${l.dumpFreq} ${l.fsckPassno}\n`)
    .join('');
}
