// What a package's /usr/share/doc/PACKAGE/copyright declares about its license. Machine-readable
// files (DEP-5, copyright-format 1.0) name a license per group of files: the package's declared
// license is all of them together (AND), each translated to SPDX; their standalone License
// paragraphs give the texts of licenses SPDX has no identifier for. Free-form files only point at
// /usr/share/common-licenses; those names are kept as a hint, never as a declared license. Pure.
import { fieldOf, parseDeb822 } from './deb822.js';
import { spdxExpression } from './licenses.js';

/** A package's license as its copyright file declares it. */
export interface DeclaredLicense {
  /** The file follows copyright-format 1.0 (DEP-5). */
  machineReadable: boolean;
  /** SPDX expression (DEP-5 files), or undefined. */
  expression: string | undefined;
  /** Debian's own names, as written in the file, in order of first appearance. */
  debianNames: string[];
  /** `LicenseRef-*` used in the expression → the license text the file gives (or a pointer to it). */
  references: Map<string, string>;
  /** Free-form files: licenses named through /usr/share/common-licenses/NAME. */
  commonLicenses: string[];
}

/** Reads a copyright file's text; `where` is its path in the image, for the pointers. */
export function declaredLicense(text: string, where: string): DeclaredLicense {
  const paragraphs = parseDeb822(text);
  const header = paragraphs[0];
  const format = header ? fieldOf(header, 'Format') : undefined;
  if (!header || !format || !/copyright-format|dep5|dep-5/i.test(format)) {
    const common = [...text.matchAll(/\/usr\/share\/common-licenses\/([A-Za-z0-9.+_-]+[A-Za-z0-9+])/g)].map((m) => m[1]!);
    return { machineReadable: false, expression: undefined, debianNames: [], references: new Map(), commonLicenses: [...new Set(common)] };
  }
  const texts = new Map<string, string>();
  const names: string[] = [];
  for (const p of paragraphs) {
    const license = fieldOf(p, 'License');
    if (license === undefined) continue;
    const [first = '', ...rest] = license.split('\n');
    const body = rest.map((l) => (l.trim() === '.' ? '' : l)).join('\n').trim();
    if (fieldOf(p, 'Files') !== undefined || p === header) names.push(first.trim());
    if (body && first.trim()) texts.set(first.trim().toLowerCase(), body);
  }
  const distinct = [...new Set(names.filter(Boolean))];
  if (!distinct.length) return { machineReadable: true, expression: undefined, debianNames: [], references: new Map(), commonLicenses: [] };
  const expression = spdxExpression(distinct.join(' and '));
  const references = new Map<string, string>();
  for (const ref of expression.match(/LicenseRef-[A-Za-z0-9.-]+/g) ?? []) {
    const own = [...texts.entries()].find(([name]) => refMatches(ref, name));
    references.set(ref, own?.[1] ?? `The license "${ref.slice('LicenseRef-'.length)}" as named in ${where}.`);
  }
  return { machineReadable: true, expression, debianNames: distinct, references, commonLicenses: [] };
}

function refMatches(ref: string, name: string): boolean {
  const cleaned = name.replace(/\+/g, '-or-later').replace(/[^A-Za-z0-9.-]+/g, '-').replace(/^-+|-+$/g, '');
  return ref.toLowerCase() === `licenseref-${cleaned.toLowerCase()}`;
}
