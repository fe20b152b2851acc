// An image's container written as one of a build's outputs: staged with the others until the
// build succeeds, and measured where it is staged (sizes and digests as the metadata records them).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeContainer } from '../../../lib/fs-images/container.js';
import { nullLog } from '../../../lib/log.js';
import { currentOutput, OutputSet } from '../../../lib/outputs/partial.js';
import { tempDir } from '../../helpers/tree.js';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => (tmp = tempDir()));
afterEach(() => tmp.cleanup());

const md5 = (data: Buffer): string => createHash('md5').update(data).digest('hex');

describe('writeContainer', () => {
  it('inside a build\'s output set: staged until commit, measured where it is staged', async () => {
    const raw = join(tmp.path, 'fs.raw');
    writeFileSync(raw, Buffer.alloc(1 << 20, 'kiln'));
    const out = join(tmp.path, 'out');
    const path = join(out, 'root.img.gz');
    await using set = await OutputSet.open(join(out, 'root'));
    const facts = await set.run(async () => {
      const written = await writeContainer(raw, path, 'gzip', nullLog);
      expect(existsSync(path)).toBe(false);
      expect(currentOutput(path)).not.toBe(path);
      return written;
    });
    await set.commit();
    const container = readFileSync(path);
    expect(facts).toMatchObject({ rawSize: 1 << 20, rawMd5: md5(readFileSync(raw)), containerSize: statSync(path).size, containerMd5: md5(container) });
    expect(md5(execFileSync('gzip', ['-dc', path]))).toBe(facts.rawMd5);
    expect(readdirSync(out).filter((n) => !n.startsWith('.'))).toEqual(['root.img.gz']);
  });
});
