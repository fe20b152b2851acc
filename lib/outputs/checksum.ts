// --checksum: NAME.EXT.sha256 and NAME.EXT.md5 in coreutils format, both computed in one read.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { basename } from 'node:path';

/** Writes `<path>.sha256` and `<path>.md5` for `path`. */
export async function writeChecksums(path: string): Promise<{ sha256: string; md5: string }> {
  const sha = createHash('sha256');
  const md5 = createHash('md5');
  for await (const chunk of createReadStream(path, { highWaterMark: 4 << 20 })) {
    sha.update(chunk as Buffer);
    md5.update(chunk as Buffer);
  }
  const sums = { sha256: sha.digest('hex'), md5: md5.digest('hex') };
  await writeFile(`${path}.sha256`, `${sums.sha256}  ${basename(path)}\n`);
  await writeFile(`${path}.md5`, `${sums.md5}  ${basename(path)}\n`);
  return sums;
}
