// What the user asked for, after parsing and validation: the input of planning.

/** Kind of build: a disk/tree image, or a kernel + ramdisk pair. */
export type BuildKind = 'disk' | 'ramdisk';

/** A validated build request. Every field is already checked. */
export interface BuildRequest {
  kind: BuildKind;
  /** Flavours named on the command line, in order. */
  flavours: string[];
  /** Output base name (absolute), e.g. /home/u/image. */
  imageName: string;
  /** Output formats (disk builds); empty for ramdisk builds. */
  types: string[];
  arch: string;
  /** -x count. */
  debugTrace: number;
  /** -u: qcow2 not compressed. */
  uncompressed: boolean;
  /** -n: do not add `base`. */
  skipBase: boolean;
  /** -p packages, in order. */
  packages: string[];
  checksum: boolean;
  imageSizeBytes: number | undefined;
  imageExtraSizeBytes: number | undefined;
  imageCache: string;
  mkfsOptions: string | undefined;
  qemuImgOptions: string | undefined;
  rootLabel: string | undefined;
  noTmpfs: boolean;
  minTmpfsBytes: number;
  logfile: string | undefined;
  offline: boolean;
  flavoursPath: string | undefined;
  /** --no-cache: neither use nor fill the layer cache. */
  noCache: boolean;
  /** --boot-test: boot the finished image under QEMU and fail if it does not come up. */
  bootTest: boolean;
  /** Ramdisk compression (ramdisk builds). */
  ramdiskCompression: 'zstd' | 'gzip';
  /** The user's environment (DIB_* and friends are taken from it). */
  env: Record<string, string | undefined>;
  /** The command's arguments as given (DIB_ARGS), when known. */
  argv?: readonly string[];
  cwd: string;
}
