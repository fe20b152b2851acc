// What the user asked for, after parsing and validation: the input of planning. The option
// properties come from the option table (lib/config/fields.ts); this file adds what is not an
// option.
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
  /** The command's arguments as given (DIB_ARGS), when known. */
  argv?: readonly string[];
  cwd: string;
}

/** A validated build request: every option of the table, already checked. Plain data. */
export type BuildRequest = RequestBase & OptionValues;
