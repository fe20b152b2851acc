// Text that comes from outside kiln (flavour, hook and file names, paths, arguments) as shown to
// people: control characters, bidirectional overrides and binary junk are escaped, never sent raw
// to the terminal (an escape sequence in a flavour folder's name could rewrite the screen or hide
// a line), and a name longer than any file name can be (255 bytes) is shortened, once.

/** Longest file name Linux allows, in bytes. */
const NAME_MAX = 255;

// C0 controls but tab and newline, DEL, C1 controls, bidirectional overrides and isolates, and
// U+FFFD (what undecodable bytes became).
const UNPRINTABLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069\ufffd]/g;

/** `text` with every unprintable character escaped as \xNN or \uNNNN (newlines and tabs kept) (pure). */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** A name for one message: escaped, and cut to its first 40 characters when it is longer than 255 bytes (pure). */
export function shownName(name: string): string {
  const bytes = Buffer.byteLength(name);
  if (bytes <= NAME_MAX) return printable(name);
  return `${printable([...name].slice(0, 40).join(''))}… (${bytes} bytes)`;
}
