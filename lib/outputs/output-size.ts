// The size of an output for reports: a file's length, or the total of the files in an output
// that is a folder (the oci image layout).
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** Bytes of an output, and whether it is a folder. */
export async function outputBytes(path: string): Promise<{ bytes: number; folder: boolean }> {
  const info = await lstat(path);
  if (!info.isDirectory()) return { bytes: info.size, folder: false };
  let bytes = 0;
  for (const entry of await readdir(path)) bytes += (await outputBytes(join(path, entry))).bytes;
  return { bytes, folder: true };
}
