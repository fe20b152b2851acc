// buildRamdisk(): the kernel and initramfs of a finished image root. Reads the root, never
// changes it and runs nothing from it: the tree is assembled in a temporary folder kiln owns
// (busybox and the binary-deps programs with their libraries, the kernel modules for disks and
// networks, /init), archived with cpio, compressed, and written as NAME.kernel and
// NAME.initramfs, each under a temporary name first. The temporary folder is released however
// this ends.
import { readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { ConfigError } from '../errors.js';
import type { LogSink } from '../log.js';
import { currentOutput, writeAtomically } from '../outputs/partial.js';
import { ResourceStack } from '../resources/disposable-stack.js';
import { makeTempDir } from '../resources/temp-dir.js';
import { compressFile, writeCpio, type RamdiskCompression } from './archive.js';
import { MissingBinaryDepsError, resolveBinaryDeps } from './binary-deps.js';
import { assembleInit, UDHCPC_SCRIPT, UDHCPC_SCRIPT_PATH } from './init-script.js';
import { checkFragments } from './init-check.js';
import { selectKernel } from './kernel-select.js';
import { libraryClosure } from './library-closure.js';
import { copyFirmware, copyModules, firmwareFor, readModuleIndex, runDepmod } from './module-copy.js';
import { defaultModuleRequests, flavourModuleRequests } from './module-list.js';
import { selectModules } from './modules.js';
import { diskRootView, findProgram, resolveInRoot, type RootView } from './root-view.js';
import { copyFromRoot, copyReadable, listTree, pinTimes, writeLinks, writeTreeFile } from './staging.js';
import { writeSkeleton } from './skeleton.js';

/** One binary-deps file or init fragment of a flavour (the plan's RamdiskPart). */
export interface RamdiskPartFile {
  flavour: string;
  name: string;
  path: string;
}

/** What buildRamdisk needs. */
export interface RamdiskBuild {
  /** The finished image root (read only). */
  rootDir: string;
  /** The build's flavours (name, folder): their `ramdisk-modules` lists are read. */
  flavours: readonly { name: string; path: string }[];
  /** binary-deps files and init fragments in hook order: the plan's `ramdisk` parts. */
  parts: { binaryDeps: readonly RamdiskPartFile[]; init: readonly RamdiskPartFile[] };
  /** Kernel version to use (DIB_KERNEL_VERSION); default the newest in /boot. */
  kernelVersion?: string | undefined;
  /** NAME (may include a folder): writes NAME.kernel and NAME.initramfs. */
  outputPrefix: string;
  compression: RamdiskCompression;
  /** Folder for the temporary tree (the build's work folder); default the system temp folder. */
  workDir?: string | undefined;
  /** Time stamp of every file in the archive (SOURCE_DATE_EPOCH; default 0). */
  epochSeconds?: number;
  log: LogSink;
  signal?: AbortSignal | undefined;
  /** The caller's resources: the temporary tree is registered here too (released earlier by us). */
  stack: ResourceStack;
}

/** What was written, for the final report. */
export interface RamdiskResult {
  kernel: { path: string; bytes: number; version: string };
  initramfs: { path: string; bytes: number; uncompressedBytes: number };
  /** Counts of what the ramdisk holds. */
  contents: { programs: number; files: number; modules: number; firmware: number };
  /** Things the user should know (flavour modules this kernel lacks, libraries not found). */
  warnings: string[];
}

/** What goes into the tree, decided before anything is written. */
interface RamdiskContents {
  version: string;
  kernelFile: string;
  modulesDir: string;
  programs: string[];
  closure: ReturnType<typeof libraryClosure>;
  modules: ReturnType<typeof selectModules>;
  init: string;
  warnings: string[];
}

/** Builds NAME.kernel and NAME.initramfs from `build.rootDir`. */
export async function buildRamdisk(build: RamdiskBuild): Promise<RamdiskResult> {
  const view = diskRootView(build.rootDir);
  const contents = planContents(view, build);
  const local = new ResourceStack();
  build.stack.defer('remove the ramdisk tree', () => local.disposeAsync());
  try {
    const scratch = await makeTempDir(local, 'ramdisk', build.workDir ?? tmpdir(), build.log);
    const tree = join(scratch, 'tree');
    const counts = await fillTree(view, build, contents, tree);
    build.signal?.throwIfAborted();
    const cpio = join(scratch, 'initramfs.cpio');
    const entries = await listTree(tree);
    await pinTimes(tree, entries, build.epochSeconds ?? 0);
    await writeCpio(tree, entries, cpio, build.log, build.signal);
    const { kernel, initramfs } = await writeOutputs(build, cpio, contents.kernelFile);
    return {
      kernel: { path: kernel, bytes: statSync(currentOutput(kernel)).size, version: contents.version },
      initramfs: { path: initramfs, bytes: statSync(currentOutput(initramfs)).size, uncompressedBytes: statSync(cpio).size },
      contents: { ...counts, programs: contents.programs.length },
      warnings: contents.warnings,
    };
  } finally {
    await local.disposeAsync();
  }
}

/**
 * Writes both outputs through the build's output set: they appear together when the build has
 * succeeded, so a failure never leaves a new kernel beside an old initramfs (or the other way round).
 */
async function writeOutputs(build: RamdiskBuild, cpio: string, kernelFile: string): Promise<{ kernel: string; initramfs: string }> {
  const initramfs = `${build.outputPrefix}.initramfs`;
  const kernel = `${build.outputPrefix}.kernel`;
  await writeAtomically(initramfs, (partial) => compressFile(build.compression, cpio, partial, build.log, build.signal), { log: build.log });
  // Debian's vmlinuz may be readable by root only.
  await writeAtomically(kernel, (partial) => copyReadable(join(build.rootDir, kernelFile), partial, 0o644, build.log), { log: build.log });
  build.signal?.throwIfAborted();
  return { kernel, initramfs };
}

/** Decides everything from the root and the flavours; throws before writing anything. */
function planContents(view: RootView, build: RamdiskBuild): RamdiskContents {
  const boot = resolveInRoot(view, '/boot');
  const names = boot?.stat.kind === 'dir' ? view.list(boot.path) : [];
  const kernel = selectKernel(names, build.kernelVersion);
  if (!kernel) throw noKernel(build.kernelVersion, names);
  const modulesDir = resolveInRoot(view, `/lib/modules/${kernel.version}`);
  if (modulesDir?.stat.kind !== 'dir') {
    throw new ConfigError(`the image root has kernel ${kernel.version} but no /lib/modules/${kernel.version}`, undefined, 'install the kernel package completely (linux-image-*), not just the vmlinuz file');
  }
  const busybox = findProgram(view, 'busybox');
  if (!busybox) throw new ConfigError('the image root has no busybox, which the ramdisk is built on', undefined, 'add the `ramdisk` flavour (it installs busybox-static), or install busybox in the image');
  const deps = resolveBinaryDeps(view, build.parts.binaryDeps.map((p) => ({ flavour: p.flavour, path: p.path, text: readFileSync(p.path, 'utf8') })));
  if (deps.missing.length) throw new MissingBinaryDepsError(deps.missing);
  const programs = [busybox, ...deps.paths.filter((p) => p !== busybox)];
  const closure = libraryClosure(view, programs, { skipInterpreters: new Set(['/bin/sh', '/usr/bin/sh']) });
  const index = readModuleIndex(view, modulesDir.path);
  const modules = selectModules(index, [...defaultModuleRequests(), ...flavourModuleRequests(build.flavours)]);
  const fragments = build.parts.init.map((p) => ({ flavour: p.flavour, name: fragmentName(p.path), text: readFileSync(p.path, 'utf8') }));
  const warnings = [
    ...modules.missing.filter((m) => m.by !== 'kiln').map((m) => `kernel ${kernel.version} has no module "${m.name}" (asked for by flavour ${m.by})`),
    ...closure.missing.map((m) => `${m.object} needs ${m.library}, which the image root does not have; it may not run in the ramdisk`),
  ];
  return {
    version: kernel.version, kernelFile: kernelInRoot(view, posix.join(boot!.path, kernel.kernel)), modulesDir: modulesDir.path,
    programs, closure, modules, init: assembleInit(fragments), warnings,
  };
}

/** The kernel's path in the root with every link resolved inside it: it must be a file of the image. */
function kernelInRoot(view: RootView, path: string): string {
  const found = resolveInRoot(view, path);
  if (found?.stat.kind !== 'file') throw new ConfigError(`the image's kernel ${path} is not a regular file inside the image`, undefined, 'the kernel must be a file of the image; links may only point at files inside it');
  return found.path;
}

/** `init.d/50-x` for a fragment in a folder, `init` for the single-file form (for messages). */
function fragmentName(path: string): string {
  const dir = posix.basename(posix.dirname(path));
  return dir === 'init.d' ? `init.d/${posix.basename(path)}` : posix.basename(path);
}

function noKernel(wanted: string | undefined, names: readonly string[]): ConfigError {
  if (wanted) {
    const have = names.filter((n) => /^vmlinu[xz]-/.test(n)).join(', ') || 'none';
    return new ConfigError(`DIB_KERNEL_VERSION is ${wanted}, but the image root has no /boot/vmlinuz-${wanted} (kernels there: ${have})`, undefined, 'unset DIB_KERNEL_VERSION to use the newest kernel, or install that version');
  }
  return new ConfigError('the image root has no kernel (/boot/vmlinuz-VERSION)', undefined, 'add the `ramdisk` flavour (it installs linux-image-amd64), or install a kernel package in the image');
}

/** Writes the tree; returns what it holds. */
async function fillTree(view: RootView, build: RamdiskBuild, c: RamdiskContents, tree: string): Promise<{ files: number; modules: number; firmware: number }> {
  await checkFragments(build.parts.init, build.log, build.signal);
  await writeSkeleton(view, tree, c.programs[0]!);
  await writeLinks(tree, c.closure.links);
  for (const file of c.closure.files) await copyFromRoot(build.rootDir, tree, file, resolveInRoot(view, file)!.stat.mode, build.log);
  build.signal?.throwIfAborted();
  const moduleLinks = resolveInRoot(view, `/lib/modules/${c.version}`)!.links;
  await writeLinks(tree, moduleLinks);
  const copied = await copyModules({ root: build.rootDir, tree, modulesDir: c.modulesDir, paths: c.modules.paths, log: build.log, signal: build.signal });
  const firmware = firmwareFor(view, tree, copied);
  await copyFirmware(build.rootDir, tree, firmware, build.log);
  await runDepmod(tree, c.version, build.log, build.signal);
  await writeTreeFile(tree, '/init', c.init, 0o755);
  await writeTreeFile(tree, UDHCPC_SCRIPT_PATH, UDHCPC_SCRIPT, 0o755);
  build.log.line('kiln', `ramdisk: ${c.programs.length} programs, ${c.closure.files.length} files, ${copied.length} modules, ${firmware.files.length} firmware files (${firmware.absent} named firmware files are not in the image)`);
  return { files: c.closure.files.length, modules: copied.length, firmware: firmware.files.length };
}
