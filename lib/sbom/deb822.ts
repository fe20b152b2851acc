// Debian's control-file syntax (deb822): paragraphs separated by blank lines, `Field: value`
// lines, continuation lines starting with a space or tab. Used by dpkg's status database and by
// machine-readable copyright files. Pure.

/** One paragraph: field names as written (case kept), values with continuation lines joined by \n. */
export type Paragraph = Map<string, string>;

/** Parses deb822 text into paragraphs; comment lines (#) are skipped. */
export function parseDeb822(text: string): Paragraph[] {
  const paragraphs: Paragraph[] = [];
  let current: Paragraph | undefined;
  let field: string | undefined;
  for (const line of text.replace(/\r\n/g, '\n').split('\n')) {
    if (line.trim() === '') {
      current = undefined;
      field = undefined;
      continue;
    }
    if (line.startsWith('#')) continue;
    if ((line.startsWith(' ') || line.startsWith('\t')) && current && field !== undefined) {
      current.set(field, `${current.get(field)!}\n${line.slice(1)}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    if (!current) {
      current = new Map();
      paragraphs.push(current);
    }
    field = line.slice(0, colon);
    current.set(field, line.slice(colon + 1).trim());
  }
  return paragraphs;
}

/** A field's value by case-insensitive name (deb822 field names are case-insensitive). */
export function fieldOf(paragraph: Paragraph, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of paragraph) if (key.toLowerCase() === wanted) return value;
  return undefined;
}
