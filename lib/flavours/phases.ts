// The phase table: the one description of the build's phases that everything else reads (the
// runner, the plan, the cache's stages and keys, package-installs, --help, the README). Order here
// is run order.

/** Where a phase's hooks run. */
export type PhaseWhere = 'host' | 'chroot' | 'image';

/** One phase of a build. */
export interface PhaseSpec {
  /** Name without the `.d` suffix, e.g. `install`. */
  readonly name: string;
  /** Directory inside a flavour, e.g. `install.d`. */
  readonly dir: string;
  /** host: run on the build host; chroot: inside the image root; image: installed, run at first boot. */
  readonly where: PhaseWhere;
  /** What the phase is for (shown in help and the README). */
  readonly purpose: string;
  /** Variables a hook of this phase gets beyond the common ones. */
  readonly inputs: readonly string[];
  /** `KEY=value` lines a hook may print on stdout to pass a value back. */
  readonly outputs: readonly string[];
  /** Which builds run it: every build, or only those that make a disk image. */
  readonly builds: 'all' | 'disk';
  /** What it shapes: `root`, the image root (the layer cache keeps the tree after it); `output`,
   * the outputs made from the finished root (its hooks are in the output key); `first-boot`,
   * hooks installed into the image by the root phase named in `installedBy`. */
  readonly stage: 'root' | 'output' | 'first-boot';
  /** `-p` packages are installed right after this phase, as a stage of their own (DIB). */
  readonly packagesAfter?: true;
  /** first-boot: the root phase at whose end the hooks are installed into the image. */
  readonly installedBy?: string;
}

/** All phases in run order. */
export const PHASES: readonly PhaseSpec[] = [
  {
    name: 'root', dir: 'root.d', where: 'host', builds: 'all', stage: 'root',
    purpose: 'create or adapt the initial root filesystem (debootstrap, unpacking a base image)',
    inputs: ['TARGET_ROOT', 'ARCH'], outputs: [],
  },
  {
    name: 'extra-data', dir: 'extra-data.d', where: 'host', builds: 'all', stage: 'root',
    purpose: 'copy data from the host (keys, proxy settings, sources) under $TMP_HOOKS_PATH',
    inputs: ['TMP_HOOKS_PATH', 'TMP_MOUNT_PATH'], outputs: [],
  },
  {
    name: 'pre-install', dir: 'pre-install.d', where: 'chroot', builds: 'all', stage: 'root',
    purpose: 'prepare package management: repositories, keys, apt settings',
    inputs: [], outputs: [],
  },
  {
    name: 'install', dir: 'install.d', where: 'chroot', builds: 'all', stage: 'root', packagesAfter: true,
    purpose: 'install software and configure the image',
    inputs: [], outputs: [],
  },
  {
    name: 'post-install', dir: 'post-install.d', where: 'chroot', builds: 'all', stage: 'root',
    purpose: 'configure after installation: enable services, remove build-only packages',
    inputs: [], outputs: [],
  },
  {
    name: 'post-root', dir: 'post-root.d', where: 'host', builds: 'all', stage: 'root',
    purpose: 'host-side changes to the finished tree before it is measured',
    inputs: ['TARGET_ROOT', 'TMP_MOUNT_PATH'], outputs: [],
  },
  {
    name: 'block-device-size', dir: 'block-device-size.d', where: 'host', builds: 'disk', stage: 'output',
    purpose: 'adjust the disk image size; print IMAGE_SIZE=<size> (the last value printed wins)',
    inputs: ['IMAGE_SIZE', 'KILN_TREE_SIZE'], outputs: ['IMAGE_SIZE'],
  },
  {
    name: 'block-device', dir: 'block-device.d', where: 'host', builds: 'disk', stage: 'output',
    purpose: 'customise the block device; print IMAGE_BLOCK_DEVICE=<path> to replace it',
    inputs: ['IMAGE_BLOCK_DEVICE'], outputs: ['IMAGE_BLOCK_DEVICE'],
  },
  {
    name: 'pre-finalise', dir: 'pre-finalise.d', where: 'host', builds: 'disk', stage: 'output',
    purpose: 'host-side work on the final filesystems, mounted at $TMP_MOUNT_PATH',
    inputs: ['TMP_MOUNT_PATH', 'IMAGE_BLOCK_DEVICE', 'IMAGE_BLOCK_DEVICES'], outputs: [],
  },
  {
    name: 'finalise', dir: 'finalise.d', where: 'chroot', builds: 'disk', stage: 'output',
    purpose: 'final tuning inside the final filesystems: bootloader, relabelling',
    inputs: ['IMAGE_BLOCK_DEVICE', 'IMAGE_BLOCK_DEVICES', 'DIB_ROOT_LABEL', 'DIB_ROOT_FSTYPE', 'DIB_IMAGE_SIZE'],
    outputs: [],
  },
  {
    name: 'cleanup', dir: 'cleanup.d', where: 'host', builds: 'all', stage: 'output',
    purpose: 'undo build-time changes and copy artefacts (kernels, manifests) out of the image',
    inputs: ['TARGET_ROOT'], outputs: [],
  },
  {
    name: 'first-boot', dir: 'first-boot.d', where: 'image', builds: 'all', stage: 'first-boot', installedBy: 'post-install',
    purpose: 'installed into the image; run once at its first boot, before rc.local and the login prompt',
    inputs: [], outputs: [],
  },
];

/** The phases that make the image root, in run order. */
export const ROOT_PHASES: readonly PhaseSpec[] = PHASES.filter((p) => p.stage === 'root');

/** The phases that work on the finished root and shape the outputs, in run order. */
export const OUTPUT_PHASES: readonly PhaseSpec[] = PHASES.filter((p) => p.stage === 'output');

/** The phases whose packages package-installs installs: the chroot phases of the root. */
export const PACKAGE_INSTALL_PHASES: readonly string[] = ROOT_PHASES.filter((p) => p.where === 'chroot').map((p) => p.name);

/** A stage of the image root that the layer cache snapshots: a root phase, or the -p packages. */
export interface RootStage {
  /** Stage name as shown in the plan. */
  name: string;
  /** Phase whose hooks run in this stage (undefined for the -p packages step). */
  phase: string | undefined;
}

/** The stages of the image root in run order: each root phase, and the -p packages after the
 * phase that says so. */
export const ROOT_STAGES: readonly RootStage[] = ROOT_PHASES.flatMap((p) => [
  { name: p.name, phase: p.name },
  ...(p.packagesAfter ? [{ name: 'packages', phase: undefined }] : []),
]);

/** The first-boot phase and the root stage that installs its hooks. */
export function firstBootPhases(): { phase: PhaseSpec; installedBy: string }[] {
  return PHASES.flatMap((p) => (p.stage === 'first-boot' && p.installedBy ? [{ phase: p, installedBy: p.installedBy }] : []));
}

/** Ramdisk flavours may carry these extra kinds of content (file or `.d` folder form). */
export const RAMDISK_EXTRAS = [
  { name: 'binary-deps', purpose: 'executables the ramdisk needs, one per line' },
  { name: 'init', purpose: 'POSIX shell fragments appended to the ramdisk /init, in hook order' },
  { name: 'ramdisk-modules', purpose: 'more kernel modules for the ramdisk, by name (with their dependencies)' },
] as const;

/** Looks up a phase by name (`install`) or directory (`install.d`). */
function phaseByName(name: string): PhaseSpec | undefined {
  return PHASES.find((p) => p.name === name || p.dir === name);
}

/** Returns the phase or throws: for internal use with literal names. */
export function phase(name: string): PhaseSpec {
  const found = phaseByName(name);
  if (!found) throw new Error(`unknown phase ${name}`);
  return found;
}
