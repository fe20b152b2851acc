// The command line shared by disk-image-create and ramdisk-image-create: commander options with
// diskimage-builder's names, help with examples and the phase table, and the dry run.
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { buildRequest, type RawOptions } from '../config/options.js';
import type { BuildKind, BuildRequest } from '../config/request.js';
import { OUTPUT_FORMATS } from '../outputs/registry.js';
import { PHASES } from '../plan/phases.js';

/** kiln's version, from package.json. */
export function kilnVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function increase(_: string, previous: number): number {
  return previous + 1;
}

/** The phase table as help text. */
export function phaseHelp(): string {
  const width = Math.max(...PHASES.map((p) => p.dir.length));
  return PHASES.map((p) => `  ${p.dir.padEnd(width)}  ${p.where.padEnd(6)}  ${p.purpose}`).join('\n');
}

/** Extra options a command adds on top of the shared ones. */
export interface CommandFlags extends RawOptions {
  dryRun?: boolean;
  json?: boolean;
  debug?: boolean;
}

/** Defines the options shared by both build commands. */
export function defineBuildCommand(name: string, kind: BuildKind, description: string, examples: string): Command {
  const program = new Command(name)
    .description(description)
    .version(kilnVersion(), '--version', 'print the kiln version and exit')
    .helpOption('-h, --help', 'show this help and exit')
    .argument('<flavours...>', 'flavours to mix into the image (an operating-system flavour is required)')
    .option('-o, --output <name>', 'output base name, may include a folder (default "image")')
    .option('-a, --arch <arch>', 'target architecture (amd64, i386, arm64, ...)', 'amd64')
    .option('-x, --trace', 'trace hook scripts (set -x); repeat for more detail (sets DIB_DEBUG_TRACE)', increase, 0)
    .option('-n, --skip-base', 'do not add the "base" flavour')
    .option('-p, --packages <list>', 'extra packages to install after install.d (comma-separated, repeatable)', collect, [])
    .option('--image-cache <dir>', 'kiln cache folder (default $DIB_IMAGE_CACHE or ~/.cache/kiln)')
    .option('--no-tmpfs', 'build on disk even when there is enough memory for tmpfs')
    .option('--min-tmpfs <size>', `memory needed for a tmpfs build is twice this (default ${kind === 'ramdisk' ? '1G' : '2G'}; bare number = GiB)`)
    .option('--logfile <file>', 'write the full build log here (default: NAME.log beside the outputs)')
    .option('--offline', 'use cached downloads and base trees without refreshing them (sets DIB_OFFLINE)')
    .option('--flavours-path <dirs>', 'colon-separated folders to search for flavours before $FLAVOURS_PATH and $ELEMENTS_PATH')
    .option('--no-cache', 'neither reuse nor store build-root layers in the cache')
    .option('--dry-run', 'print the build plan and exit: needs no root and changes nothing')
    .option('--json', 'with --dry-run: print the plan as one JSON document')
    .option('--debug', 'show stack traces and the exact commands kiln runs');
  return program.addHelpText('after', `\nPhases (hooks run in this order; numbers in hook names order them):\n${phaseHelp()}\n\nExamples:\n${examples}\n`);
}

/** Options only disk-image-create has. */
export function addDiskOptions(program: Command): Command {
  const formats = OUTPUT_FORMATS.map((f) => f.name).join(', ');
  return program
    .option('-t, --type <types>', `comma-separated output formats: ${formats} (default qcow2)`)
    .option('-u, --uncompressed', 'do not compress qcow2 output')
    .option('--checksum', 'write NAME.EXT.sha256 and NAME.EXT.md5 beside each output')
    .option('--image-size <size>', 'disk image size, e.g. 2G, 1500M, 2GiB (bare number = GiB); default: from the built tree')
    .option('--image-extra-size <size>', 'free space added to the measured tree instead of the default 40% (bare number = MiB)')
    .option('--mkfs-options <options>', 'extra options for the root filesystem mkfs')
    .option('--qemu-img-options <k=v,...>', 'options passed to qemu-img convert -o (e.g. cluster_size=2M)')
    .option('--root-label <label>', 'root filesystem label (default cloudimg-rootfs; img-rootfs for xfs)')
    .option('--boot-test', 'boot the finished image under QEMU and fail the build if it does not come up');
}

/** Options only ramdisk-image-create has. */
export function addRamdiskOptions(program: Command): Command {
  return program.addOption(new Option('--compress <method>', 'initramfs compression').choices(['zstd', 'gzip']).default('zstd'));
}

/** Parses argv into flags and a request (throws CommanderError or UsageError). */
export function parseBuildArgs(program: Command, kind: BuildKind, argv: string[]): { flags: CommandFlags; request: BuildRequest } {
  program.exitOverride().configureOutput({ writeErr: () => undefined, outputError: () => undefined });
  program.parse(argv, { from: 'user' });
  const flags = program.opts<CommandFlags>();
  const request = { ...buildRequest(kind, program.args, flags, process.env, process.cwd()), argv };
  return { flags, request };
}
