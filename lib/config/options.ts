// Turns the raw option values commander collected into a validated BuildRequest. Every check
// here runs in a dry run and in a real build alike; each failure is one UsageError line that
// says what is wrong and how to fix it.
import { availableParallelism, homedir } from 'node:os';
import { resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { checkQemuImgOptions } from '../outputs/qemu-img.js';
import { parseOutputTypes, stripTypeSuffix } from '../outputs/registry.js';
import type { BuildKind, BuildRequest, VmSettings } from './request.js';
import { parseBytes, SIZE_HINT } from './size.js';

/** Option values as commander hands them over. */
export interface RawOptions {
  output?: string;
  type?: string;
  arch?: string;
  trace?: number;
  uncompressed?: boolean;
  skipBase?: boolean;
  packages?: string[];
  checksum?: boolean;
  imageSize?: string;
  imageExtraSize?: string;
  imageCache?: string;
  mkfsOptions?: string;
  qemuImgOptions?: string;
  rootLabel?: string;
  tmpfs?: boolean;
  minTmpfs?: string;
  logfile?: string;
  offline?: boolean;
  flavoursPath?: string;
  cache?: boolean;
  bootTest?: boolean;
  compress?: string;
  vm?: boolean;
  vmMemory?: string;
  vmCpus?: string;
}

/** Architectures kiln knows, with the Debian names users pass to -a. */
export const ARCHES = ['amd64', 'i386', 'arm64', 'armhf', 'ppc64el', 's390x'] as const;
const ARCH_ALIASES: Record<string, string> = { x86_64: 'amd64', aarch64: 'arm64', ppc64le: 'ppc64el' };

/** Normalises -a; x86_64 → amd64 as DIB does. */
export function parseArch(value: string): string {
  const arch = ARCH_ALIASES[value] ?? value;
  if (!(ARCHES as readonly string[]).includes(arch)) {
    throw new UsageError(`unknown architecture "${value}" for -a`, `use one of ${ARCHES.join(', ')}`);
  }
  return arch;
}

/** Parses a size option; a bare number is read in `bareUnit` (DIB: GB for --image-size). */
export function parseSizeOption(option: string, value: string, bareUnit: 'GiB' | 'MiB'): number {
  const text = /^\s*\d+(\.\d+)?\s*$/.test(value) ? `${value}${bareUnit}` : value;
  const bytes = parseBytes(text, 'binary');
  if (bytes === undefined || bytes <= 0) {
    throw new UsageError(`${option} "${value}" is not a size`, `${SIZE_HINT}; a bare number means ${bareUnit}`);
  }
  return bytes;
}

function cacheDir(raw: string | undefined, env: Record<string, string | undefined>, cwd: string): string {
  if (raw) return resolve(cwd, raw);
  if (env.DIB_IMAGE_CACHE) return resolve(cwd, env.DIB_IMAGE_CACHE);
  const home = env.SUDO_USER && env.HOME === '/root' ? homedir() : env.HOME ?? homedir();
  return resolve(env.XDG_CACHE_HOME ?? resolve(home, '.cache'), 'kiln');
}

/** Default memory of the build VM. */
export const DEFAULT_VM_MEMORY = '2G';

/** --vm, --vm-memory and --vm-cpus; the sizes only with --vm. */
export function parseVmSettings(raw: RawOptions, hostCpus = availableParallelism()): VmSettings | undefined {
  if (!raw.vm) {
    const stray = raw.vmMemory !== undefined ? '--vm-memory' : raw.vmCpus !== undefined ? '--vm-cpus' : undefined;
    if (stray) throw new UsageError(`${stray} needs --vm`, `add --vm to build in a VM, or drop ${stray}`);
    return undefined;
  }
  const memory = parseSizeOption('--vm-memory', raw.vmMemory ?? DEFAULT_VM_MEMORY, 'GiB');
  if (memory < 512 * 1024 * 1024) throw new UsageError(`--vm-memory "${raw.vmMemory}" is too small`, 'the build VM needs at least 512M; 2G (the default) or more is comfortable');
  const cpus = raw.vmCpus === undefined ? Math.min(hostCpus, 8) : Number(raw.vmCpus);
  if (!Number.isInteger(cpus) || cpus < 1 || cpus > 64) throw new UsageError(`--vm-cpus "${raw.vmCpus}" is not a number of CPUs`, 'give a whole number from 1 to 64');
  return { memoryMiB: Math.floor(memory / 1048576), cpus };
}

/** Validates everything and builds the request. */
export function buildRequest(
  kind: BuildKind,
  flavours: string[],
  raw: RawOptions,
  env: Record<string, string | undefined>,
  cwd: string,
): BuildRequest {
  if (flavours.length === 0) {
    throw new UsageError('no flavours given', 'name at least an operating-system flavour, e.g. `disk-image-create debian vm`');
  }
  const types = kind === 'disk' ? parseOutputTypes(raw.type ?? 'qcow2') : [];
  const name = raw.output ?? 'image';
  const compress = raw.compress ?? 'zstd';
  if (compress !== 'zstd' && compress !== 'gzip') {
    throw new UsageError(`--compress "${compress}" is not supported`, 'use --compress zstd (default) or --compress gzip');
  }
  return {
    kind,
    flavours,
    imageName: resolve(cwd, stripTypeSuffix(name, types)),
    types,
    arch: parseArch(raw.arch ?? 'amd64'),
    debugTrace: raw.trace ?? 0,
    uncompressed: raw.uncompressed ?? false,
    skipBase: raw.skipBase ?? false,
    packages: (raw.packages ?? []).flatMap((p) => p.split(',')).map((p) => p.trim()).filter(Boolean),
    checksum: raw.checksum ?? false,
    imageSizeBytes: raw.imageSize === undefined ? undefined : parseSizeOption('--image-size', raw.imageSize, 'GiB'),
    imageExtraSizeBytes: raw.imageExtraSize === undefined ? undefined : parseSizeOption('--image-extra-size', raw.imageExtraSize, 'MiB'),
    imageCache: cacheDir(raw.imageCache, env, cwd),
    mkfsOptions: raw.mkfsOptions,
    qemuImgOptions: raw.qemuImgOptions === undefined ? undefined : checkQemuImgOptions(raw.qemuImgOptions),
    rootLabel: raw.rootLabel,
    noTmpfs: raw.tmpfs === false,
    minTmpfsBytes: parseSizeOption('--min-tmpfs', raw.minTmpfs ?? (kind === 'ramdisk' ? '1' : '2'), 'GiB'),
    logfile: raw.logfile === undefined ? undefined : resolve(cwd, raw.logfile),
    offline: raw.offline ?? false,
    flavoursPath: raw.flavoursPath,
    noCache: raw.cache === false,
    bootTest: raw.bootTest ?? false,
    vm: parseVmSettings(raw),
    ramdiskCompression: compress,
    env,
    cwd,
  };
}
