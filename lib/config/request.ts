// What the user asked for, after parsing and validation: the input of planning.
import type { EnvVar } from '../plan/environment.js';

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
  cwd: string;
  /** Variables a build spec sets for the hooks; they win over the user's environment. */
  specVariables?: EnvVar[];
  /** One filesystem image per mount point instead of a disk image (build specs). */
  filesystemImages?: FilesystemImagesRequest;
  /** How a build spec and the command line were combined (shown with the plan). */
  specNotes?: string[];
}

/** One filesystem image of a per-mount-point build. */
export interface FilesystemImageRequest {
  /** Absolute, clean mount point ("/", "/boot"). */
  mountPoint: string;
  format: 'ext2' | 'ext3' | 'ext4' | 'xfs';
  container: 'gzip' | 'raw' | 'zstd';
  /** Absolute path of the container file. */
  path: string;
}

/** Per-mount-point images and the metadata file describing them. */
export interface FilesystemImagesRequest {
  images: FilesystemImageRequest[];
  /** Absolute path of the metadata YAML. */
  metadataPath: string;
  /** Repositories as the spec gave them, recorded in the metadata. */
  repos: { name: string; type?: string; uri: string; suite: string; section: string; priority: number | null }[];
}
