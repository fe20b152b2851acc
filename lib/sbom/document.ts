// What both SBOM formats describe, gathered once: the image, its packages with their package
// URLs, licenses, relations and provenance, kiln and the flavours, and the one time stamp
// (SOURCE_DATE_EPOCH, so that the same image gives the same SBOM bytes). Pure.
import { createHash } from 'node:crypto';
import type { InventoryPackage } from './inventory.js';

/** Everything an SBOM is written from. */
export interface SbomInputs {
  /** The image's name (NAME of NAME.qcow2). */
  imageName: string;
  architecture: string;
  kilnVersion: string;
  /** SOURCE_DATE_EPOCH: the documents' creation time. */
  epoch: number;
  /** os-release fields of the image. */
  osRelease: Record<string, string>;
  packages: readonly InventoryPackage[];
  /** The build's flavours with the sha256 of their content. */
  flavours: readonly { name: string; sha256: string }[];
  /** Package name → flavours whose package-installs asked for it. */
  requestedBy: ReadonlyMap<string, string[]>;
  /** Package name → the hook that installed it (`install.d/05-x (flavour)`), when kiln saw it. */
  installedBy: ReadonlyMap<string, { label: string; flavour: string }>;
  /** The output files with their sha256. */
  outputs: readonly { file: string; sha256: string }[];
}

/** ISO 8601 UTC to the second, as both formats want it. */
export function isoSeconds(epoch: number): string {
  return new Date(epoch * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Percent-encoding of a package URL component: everything but A-Z a-z 0-9 . - _ ~ (purl spec). */
function purlEncode(text: string): string {
  return [...Buffer.from(text, 'utf8')].map((b) => {
    const c = String.fromCharCode(b);
    return /[A-Za-z0-9._~-]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }).join('');
}

/** The distribution qualifier: `debian-12` from os-release (ID and VERSION_ID), else the ID. */
export function distroOf(osRelease: Record<string, string>): string {
  const id = osRelease.ID ?? 'debian';
  return osRelease.VERSION_ID ? `${id}-${osRelease.VERSION_ID}` : (osRelease.VERSION_CODENAME ? `${id}-${osRelease.VERSION_CODENAME}` : id);
}

/** `pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12` (qualifiers in key order). */
export function debPurl(p: Pick<InventoryPackage, 'name' | 'version' | 'architecture'>, osRelease: Record<string, string>): string {
  const namespace = (osRelease.ID ?? 'debian').toLowerCase();
  return `pkg:deb/${purlEncode(namespace)}/${purlEncode(p.name.toLowerCase())}@${purlEncode(p.version)}`
    + `?arch=${purlEncode(p.architecture)}&distro=${purlEncode(distroOf(osRelease))}`;
}

/** A UUID (version 5 layout) from the SHA-256 of `text`: the same content, the same id. */
export function contentUuid(text: string): string {
  const h = createHash('sha256').update(text).digest('hex');
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Installed package names (with and without architecture) → the package, for dependency edges. */
export function packageIndex(packages: readonly InventoryPackage[]): Map<string, InventoryPackage> {
  const index = new Map<string, InventoryPackage>();
  for (const p of packages) {
    if (!index.has(p.name)) index.set(p.name, p);
    index.set(`${p.name}:${p.architecture}`, p);
  }
  return index;
}

/** The installed packages a package depends on (dependencies that are not installed are left out). */
export function installedDependencies(p: InventoryPackage, index: ReadonlyMap<string, InventoryPackage>): InventoryPackage[] {
  const found = p.depends.map((name) => index.get(name)).filter((d): d is InventoryPackage => d !== undefined && d !== p);
  return [...new Set(found)];
}

/** Who put a package in the image, in words (for comments and properties). */
export function provenanceOf(name: string, inputs: SbomInputs): { flavours: string[]; how: string[] } {
  const requested = inputs.requestedBy.get(name) ?? [];
  const hook = inputs.installedBy.get(name);
  const flavours = [...new Set([...requested, ...(hook ? [hook.flavour] : [])])].sort();
  const how = [
    ...requested.map((f) => `listed in ${f}/package-installs`),
    ...(hook ? [`installed by hook ${hook.label}`] : []),
  ];
  return { flavours, how };
}
