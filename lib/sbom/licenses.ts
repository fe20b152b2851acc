// Debian's license short names (copyright-format 1.0, "License specification") as SPDX
// identifiers: GPL-2+ → GPL-2.0-or-later, Expat → MIT, ... A name SPDX has no identifier for
// becomes `LicenseRef-<name>`, which SPDX documents must then define (extracted licensing info).
// Pure.

/** SPDX identifiers kiln writes as they are (the common ones in Debian; case as SPDX spells them). */
const SPDX_IDS = [
  '0BSD', 'AFL-2.1', 'AFL-3.0', 'AGPL-3.0-only', 'AGPL-3.0-or-later', 'Apache-1.0', 'Apache-1.1', 'Apache-2.0', 'APSL-2.0',
  'Artistic-1.0', 'Artistic-1.0-Perl', 'Artistic-2.0', 'Beerware', 'BSD-1-Clause', 'BSD-2-Clause', 'BSD-3-Clause',
  'BSD-4-Clause', 'BSL-1.0', 'bzip2-1.0.6', 'CC-BY-3.0', 'CC-BY-4.0', 'CC-BY-SA-3.0', 'CC-BY-SA-4.0', 'CC0-1.0',
  'CDDL-1.0', 'CPL-1.0', 'curl', 'EPL-1.0', 'EPL-2.0', 'EUPL-1.2', 'FSFAP', 'FSFUL', 'FSFULLR', 'FTL', 'GFDL-1.1-only',
  'GFDL-1.1-or-later', 'GFDL-1.2-only', 'GFDL-1.2-or-later', 'GFDL-1.3-only', 'GFDL-1.3-or-later', 'GPL-1.0-only',
  'GPL-1.0-or-later', 'GPL-2.0-only', 'GPL-2.0-or-later', 'GPL-3.0-only', 'GPL-3.0-or-later', 'HPND', 'ICU', 'IJG',
  'Info-ZIP', 'ISC', 'LGPL-2.0-only', 'LGPL-2.0-or-later', 'LGPL-2.1-only', 'LGPL-2.1-or-later', 'LGPL-3.0-only',
  'LGPL-3.0-or-later', 'Libpng', 'libpng-2.0', 'LPPL-1.3c', 'MIT', 'MIT-0', 'MPL-1.1', 'MPL-2.0', 'NCSA', 'OFL-1.1',
  'OpenSSL', 'PHP-3.01', 'PostgreSQL', 'PSF-2.0', 'Python-2.0', 'Ruby', 'SGI-B-2.0', 'SSLeay-standalone', 'Unicode-DFS-2016',
  'Unlicense', 'Vim', 'W3C', 'WTFPL', 'X11', 'Zlib', 'ZPL-2.1',
];
const BY_LOWER = new Map(SPDX_IDS.map((id) => [id.toLowerCase(), id]));

/** Debian names whose SPDX identifier is spelled differently. */
const ALIASES: Readonly<Record<string, string>> = {
  expat: 'MIT', 'bsd-2-clause': 'BSD-2-Clause', 'bsd-3-clause': 'BSD-3-Clause', 'bsd-4-clause': 'BSD-4-Clause',
  artistic: 'Artistic-1.0-Perl', perl: '(Artistic-1.0-Perl OR GPL-1.0-or-later)', 'psf-2': 'PSF-2.0', python: 'Python-2.0',
  cc0: 'CC0-1.0', zlib: 'Zlib', isc: 'ISC', 'mpl-2': 'MPL-2.0', 'apache-2': 'Apache-2.0', 'openssl': 'OpenSSL',
  'gpl': 'GPL-1.0-or-later', 'lgpl': 'LGPL-2.0-or-later', 'x11': 'X11', 'mit': 'MIT',
};

/** GNU family: `GPL-2`, `GPL-2+`, `LGPL-2.1+`, `GFDL-NIV-1.3+` → the SPDX -only / -or-later form. */
function gnuLicense(name: string): string | undefined {
  const match = /^(A?GPL|LGPL|GFDL(?:-NIV)?)-(\d(?:\.\d)?)(\+)?$/i.exec(name);
  if (!match) return undefined;
  const family = match[1]!.toUpperCase();
  const version = match[2]!.includes('.') ? match[2]! : `${match[2]!}.0`;
  const niv = family === 'GFDL-NIV';
  const id = `${niv ? 'GFDL' : family}-${version}${niv ? '-no-invariants' : ''}-${match[3] ? 'or-later' : 'only'}`;
  return niv || BY_LOWER.has(id.toLowerCase()) ? id : undefined;
}

/** `LicenseRef-` plus the name with everything but letters, digits, dots and dashes dropped. */
function licenseRef(name: string): string {
  return `LicenseRef-${name.replace(/\+/g, '-or-later').replace(/[^A-Za-z0-9.-]+/g, '-').replace(/^-+|-+$/g, '') || 'unknown'}`;
}

/** Debian's names of license exceptions that SPDX lists. */
const EXCEPTIONS: Readonly<Record<string, string>> = {
  'gcc-exception': 'GCC-exception-3.1', 'gcc-exception-3.1': 'GCC-exception-3.1', 'gcc-exception-2.0': 'GCC-exception-2.0',
  'autoconf-exception': 'Autoconf-exception-3.0', 'bison-exception': 'Bison-exception-2.2', 'classpath-exception': 'Classpath-exception-2.0',
  'font-exception': 'Font-exception-2.0', 'libtool-exception': 'Libtool-exception', 'linux-syscall-note': 'Linux-syscall-note',
};

/** One Debian license name (no `or`/`and`) as an SPDX expression term. */
function spdxForDebianName(name: string): string {
  const [base = '', exception] = name.trim().split(/\s+with\s+/i);
  const lower = base.toLowerCase();
  const known = BY_LOWER.get(lower) ?? ALIASES[lower] ?? gnuLicense(base);
  if (exception === undefined) return known ?? licenseRef(base);
  // `GPL-3+ with GCC-exception` → GPL-3.0-or-later WITH GCC-exception-3.1; an exception SPDX does
  // not list makes the whole name one reference.
  const spdxException = EXCEPTIONS[exception.toLowerCase().replace(/\s+exception$/, '-exception').replace(/\s+/g, '-')];
  return known && spdxException && !known.includes(' ') ? `${known} WITH ${spdxException}` : licenseRef(name.trim());
}

/** A DEP-5 License field's first line (`GPL-2+ or Artistic, and BSD-3-clause`) as an SPDX expression. */
export function spdxExpression(debian: string): string {
  const conjunctions = debian.split(/,\s*and\s+|\s+and\s+/i).map((part) => part.replace(/,\s*$/, '').trim()).filter(Boolean);
  const terms = conjunctions.map((part) => {
    const alternatives = part.split(/,?\s+or\s+/i).map((p) => p.trim()).filter(Boolean).map(spdxForDebianName);
    const unique = [...new Set(alternatives)];
    return unique.length > 1 ? `(${unique.join(' OR ')})` : unique[0]!;
  });
  const unique = [...new Set(terms)];
  return unique.length > 1 ? unique.map((t) => (t.includes(' OR ') && !t.startsWith('(') ? `(${t})` : t)).join(' AND ') : (unique[0] ?? 'NOASSERTION');
}
