// Steps: the inventory of the finished tree (read before normalisation removes dpkg's log), and,
// once every output is written, the files that describe the image beside it: NAME.manifest.json,
// the SBOM as NAME.spdx.json (SPDX 2.3) and NAME.cdx.json (CycloneDX 1.6), and diskimage-
// builder's NAME.d/dib-manifests/. All are written under temporary names and renamed, and are
// the same bytes for the same image (dated SOURCE_DATE_EPOCH).
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { kilnVersion } from '../../version.js';
import { dibManifestDir, dibManifestFiles } from '../../manifest/dib-manifests.js';
import { attributeInstalls } from '../../manifest/dpkg-log.js';
import { flavourHash } from '../../manifest/flavour-hash.js';
import { buildManifest, hookLabel } from '../../manifest/manifest.js';
import { writeAtomically } from '../../outputs/partial.js';
import type { BuildPlan } from '../../plan/build-plan.js';
import { diskRootView } from '../../ramdisk/root-view.js';
import { cyclonedxDocument } from '../../sbom/cyclonedx.js';
import type { SbomInputs } from '../../sbom/document.js';
import { readInRoot, readInventory } from '../../sbom/inventory.js';
import { spdxDocument } from '../../sbom/spdx.js';
import type { BuildContext } from '../context.js';
import { timed } from './timed.js';

/** A file kiln writes beside the outputs, with the output-cache name it is kept under. */
export interface SidecarFile {
  /** Name in the output cache (independent of the image name). */
  format: string;
  path: string;
}

/** The description files of a build (the dpkg list only when the image has packages). */
export function sidecarFiles(plan: BuildPlan): SidecarFile[] {
  const name = plan.request.imageName;
  const dir = dibManifestDir(name);
  const short = basename(name);
  return [
    { format: 'manifest.json', path: `${name}.manifest.json` },
    { format: 'spdx.json', path: `${name}.spdx.json` },
    { format: 'cdx.json', path: `${name}.cdx.json` },
    { format: 'dib-element-manifest', path: join(dir, 'dib-element-manifest') },
    { format: 'dib_environment', path: join(dir, 'dib_environment') },
    { format: 'dib_arguments', path: join(dir, 'dib_arguments') },
    { format: 'dib-manifest-dpkg', path: join(dir, `dib-manifest-dpkg-${short}`) },
  ];
}

/** Reads the packages of the tree at `root` into the build's record, and which hook installed each. */
export async function takeInventory(ctx: BuildContext, root: string): Promise<void> {
  const record = ctx.record;
  if (!record) return;
  await timed(ctx, 'read the package inventory', async () => {
    const view = diskRootView(root);
    record.inventory = readInventory(view);
    const first = ctx.plan.phases.find((p) => p.name === 'root')?.hooks[0];
    const bootstrap = first ? { phase: 'root', hook: first.name, flavour: first.flavour } : undefined;
    const names = record.inventory.packages.map((p) => p.name);
    record.installedBy = attributeInstalls(readInRoot(view, '/var/log/dpkg.log') ?? '', record.hooks, bootstrap, names);
  });
}

/** Package → flavours whose package-installs lists it (the resolved `PACKAGE FLAVOUR` lists); -p packages are the command line's. */
export function requestedBy(packageLists: Record<string, string>, commandLine: readonly string[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  const add = (pkg: string, by: string): void => {
    const name = pkg.replace(/[:=].*$/, '');
    map.set(name, [...new Set([...(map.get(name) ?? []), by])].sort());
  };
  for (const [file, text] of Object.entries(packageLists)) {
    if (!file.endsWith('.install')) continue;
    for (const line of text.split('\n')) {
      const [pkg, flavour] = line.trim().split(/\s+/);
      if (pkg && flavour) add(pkg, flavour);
    }
  }
  for (const pkg of commandLine) add(pkg, 'command line (-p)');
  return map;
}

/** The sha256 of each output that has a NAME.EXT.sha256 beside it (--checksum). */
function outputHashes(outputs: readonly { path: string }[]): Map<string, string> {
  const hashes = new Map<string, string>();
  for (const o of outputs) {
    const file = `${o.path}.sha256`;
    if (existsSync(file)) hashes.set(o.path, readFileSync(file, 'utf8').split(/\s/)[0]!);
  }
  return hashes;
}

async function writeText(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeAtomically(path, (partial) => writeFile(partial, text));
}

/** Writes the manifest, both SBOMs and the dib-manifests folder; returns the files written. */
export async function writeManifests(ctx: BuildContext): Promise<SidecarFile[]> {
  const record = ctx.record;
  if (!record) return [];
  const { plan } = ctx;
  return timed(ctx, 'write the manifest and SBOM', async () => {
    const hashes = outputHashes(record.outputs);
    const flavourHashes = new Map(plan.flavours.map((f) => [f.name, flavourHash(f.path)]));
    const requested = requestedBy(plan.packageLists, plan.request.packages);
    const inventory = record.inventory;
    const manifest = buildManifest(plan, record, { kilnVersion: kilnVersion(), flavourHashes, requestedBy: requested, outputHashes: hashes });
    const sbom: SbomInputs = {
      imageName: basename(plan.request.imageName),
      architecture: plan.request.arch,
      kilnVersion: kilnVersion(),
      epoch: plan.sourceDate.epoch,
      osRelease: inventory?.osRelease ?? {},
      packages: inventory?.packages ?? [],
      flavours: plan.flavours.map((f) => ({ name: f.name, sha256: flavourHashes.get(f.name)! })),
      requestedBy: requested,
      installedBy: new Map([...record.installedBy].map(([pkg, ref]) => [pkg, { label: hookLabel(ref), flavour: ref.flavour }])),
      outputs: record.outputs.filter((o) => hashes.has(o.path)).map((o) => ({ file: basename(o.path), sha256: hashes.get(o.path)! })),
    };
    const files = sidecarFiles(plan);
    const dib = dibManifestFiles(plan, inventory?.packages);
    const content: Record<string, string> = {
      'manifest.json': `${JSON.stringify(manifest, null, 2)}\n`,
      'spdx.json': `${JSON.stringify(spdxDocument(sbom), null, 2)}\n`,
      'cdx.json': `${JSON.stringify(cyclonedxDocument(sbom), null, 2)}\n`,
    };
    const written: SidecarFile[] = [];
    for (const file of files) {
      const text = content[file.format] ?? dib[basename(file.path)];
      if (text === undefined) continue;
      await writeText(file.path, text);
      written.push(file);
    }
    for (const f of written.slice(0, 3)) ctx.emit({ type: 'info', message: `wrote ${f.path}` });
    return written;
  });
}
