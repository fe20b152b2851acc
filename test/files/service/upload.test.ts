// Uploaded flavours: real tar.gz archives, hostile ones written header by header, checked before
// anything is written and unpacked without owners, set-id bits or writable modes.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, lstatSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { checkUpload, entryProblem, unpackUpload } from '../../../lib/service/upload.js';
import { FieldError } from '../../../lib/service/submission.js';
import { tempDir } from '../../helpers/tree.js';

/** One ustar entry: a 512-byte header (name, mode, size, type, link) and the padded content. */
function entry(name: string, options: { type?: string; content?: string; link?: string; mode?: number } = {}): Buffer {
  const content = Buffer.from(options.content ?? '');
  const header = Buffer.alloc(512);
  const put = (text: string, at: number, length: number): void => void header.write(text, at, length, 'utf8');
  const octal = (n: number, length: number): string => `${n.toString(8).padStart(length - 1, '0')}\0`;
  put(name, 0, 100);
  put(octal(options.mode ?? 0o644, 8), 100, 8);
  put(octal(0, 8), 108, 8);
  put(octal(0, 8), 116, 8);
  put(octal(content.length, 12), 124, 12);
  put(octal(0, 12), 136, 12);
  put(options.type ?? '0', 156, 1);
  put(options.link ?? '', 157, 100);
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  header.fill(' ', 148, 156);
  let sum = 0;
  for (const byte of header) sum += byte;
  put(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  const padded = Buffer.alloc(Math.ceil(content.length / 512) * 512);
  content.copy(padded);
  return Buffer.concat([header, padded]);
}

function archive(...entries: Buffer[]): string {
  return gzipSync(Buffer.concat([...entries, Buffer.alloc(1024)])).toString('base64');
}

function problem(base64: string): string {
  try {
    checkUpload(base64);
  } catch (error) {
    if (error instanceof FieldError) return error.message;
    throw error;
  }
  return 'ok';
}

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => (tmp = tempDir()));
afterEach(() => tmp.cleanup());

describe('uploaded flavours', () => {
  it('unpacks flavour folders with safe modes', () => {
    const upload = archive(
      entry('my-app/', { type: '5', mode: 0o777 }),
      entry('my-app/install.d/', { type: '5' }),
      entry('my-app/install.d/50-app', { content: '#!/bin/sh\ntrue\n', mode: 0o4777 }),
      entry('my-app/README.md', { content: 'app\n' }),
      entry('my-app/link', { type: '2', link: 'README.md' }),
    );
    expect(unpackUpload(upload, join(tmp.path, 'up'))).toEqual(['my-app']);
    const hook = statSync(join(tmp.path, 'up/my-app/install.d/50-app'));
    expect((hook.mode & 0o7777).toString(8)).toBe('755');
    expect((statSync(join(tmp.path, 'up/my-app')).mode & 0o777).toString(8)).toBe('755');
    expect(lstatSync(join(tmp.path, 'up/my-app/link')).isSymbolicLink()).toBe(true);
  });

  it('refuses hostile archives before writing anything', () => {
    expect(problem(archive(entry('../evil', { content: 'x' })))).toContain('a path outside the archive');
    expect(problem(archive(entry('/etc/cron.d/evil', { content: 'x' })))).toContain('a path outside the archive');
    expect(problem(archive(entry('a/b/../../../x', { content: 'x' })))).toContain('a path outside the archive');
    expect(problem(archive(entry('a/', { type: '5' }), entry('a/l', { type: '2', link: '/etc/shadow' })))).toContain('a link pointing out of the archive');
    expect(problem(archive(entry('a/', { type: '5' }), entry('a/l', { type: '2', link: '../../x' })))).toContain('a link pointing out of the archive');
    expect(problem(archive(entry('a/h', { type: '1', link: 'a/x' })))).toContain('Link entry');
    expect(problem(archive(entry('a/dev', { type: '3' })))).toContain('CharacterDevice entry');
    expect(problem(archive(entry('top-file', { content: 'x' })))).toContain('a file outside any flavour folder');
    expect(problem(Buffer.from('not gzip').toString('base64'))).toContain('is not a gzip-compressed tar archive');
    const dest = join(tmp.path, 'never');
    expect(() => unpackUpload(archive(entry('../evil', { content: 'x' })), dest)).toThrow(FieldError);
    expect(existsSync(dest)).toBe(false);
  });

  it('refuses archives that unpack to too much', () => {
    const big = gzipSync(Buffer.alloc(8 * 1024 * 1024)).toString('base64');
    expect(() => checkUpload(big, { maxUnpackedBytes: 1024 * 1024, maxEntries: 10 })).toThrow('unpacks to more than 1048576 bytes');
    const many = archive(...Array.from({ length: 12 }, (_, i) => entry(`a/f${i}`, { content: 'x' })));
    expect(() => checkUpload(many, { maxUnpackedBytes: 1 << 20, maxEntries: 10 })).toThrow('has 12 entries, more than 10');
    expect(readdirSync(tmp.path)).toEqual([]);
  });

  it('names the problem of single entries', () => {
    expect(entryProblem('fl/x', 'File', undefined)).toBeUndefined();
    expect(entryProblem('bad name/x', 'File', undefined)).toContain('is not a flavour name');
  });
});
