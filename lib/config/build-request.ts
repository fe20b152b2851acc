// What the user asked for, after parsing and validation: the input of planning. The option
// properties come from the option table (lib/config/fields.ts); this file adds what is not an
// option.
import type { OptionVariable } from './field-views.js';
import type { OptionValues } from './fields.js';

/** Kind of build: a disk/tree image, or a kernel + ramdisk pair. */
export type BuildKind = 'disk' | 'ramdisk';

/** What a request holds besides its options. */
export interface RequestBase {
  kind: BuildKind;
  /** Flavours named on the command line, in order. */
  flavours: string[];
  /** Where each option that was set came from (`--image-size`, `DIB_IMAGE_SIZE`, a spec field);
   * options left at their default are absent. */
  origins: Partial<Record<keyof OptionValues, string>>;
  /** The user's environment (DIB_* and friends are taken from it). */
  env: Record<string, string | undefined>;
  cwd: string;
  /** Variables a build spec sets for the hooks; they win over the user's environment. */
  specVariables?: OptionVariable[];
  /** One filesystem image per mount point instead of a disk image (build specs). */
  filesystemImages?: FilesystemImagesRequest;
  /** How a build spec and the command line were combined (shown with the plan). */
  specNotes?: string[];
  /** The command's arguments as given (diskimage-builder's DIB_ARGS), when known. */
  argv?: readonly string[];
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

/** A validated build request: every option of the table, already checked. Plain data. */
export type BuildRequest = RequestBase & OptionValues;
