// Reading a (possibly gzip-compressed) file as a stream of exact-size chunks, for the archive
// parsers of kiln-diff: they ask for "the next N bytes" and never hold the whole archive.
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';

/** Reads exact byte counts from a stream. */
export class ChunkReader {
  private buffered: Buffer[] = [];
  private available = 0;
  private done = false;
  private readonly iterator: AsyncIterator<Buffer>;

  constructor(stream: AsyncIterable<Buffer>) {
    this.iterator = stream[Symbol.asyncIterator]();
  }

  /** Opens `path`, gunzipping it when `gzip`. */
  static open(path: string, gzip: boolean): ChunkReader {
    const file = createReadStream(path, { highWaterMark: 1 << 20 });
    return new ChunkReader(gzip ? file.pipe(createGunzip()) : file);
  }

  private async fill(count: number): Promise<void> {
    while (this.available < count && !this.done) {
      const next = await this.iterator.next();
      if (next.done) this.done = true;
      else {
        this.buffered.push(next.value);
        this.available += next.value.length;
      }
    }
  }

  /** The next `count` bytes, or fewer at the end of the stream. */
  async read(count: number): Promise<Buffer> {
    await this.fill(count);
    const all = this.buffered.length === 1 ? this.buffered[0]! : Buffer.concat(this.buffered);
    const out = all.subarray(0, count);
    const rest = all.subarray(count);
    this.buffered = rest.length ? [rest] : [];
    this.available = rest.length;
    return out;
  }

  /** Feeds the next `count` bytes to `sink` in pieces (for digests of large members). */
  async pipe(count: number, sink: (piece: Buffer) => void): Promise<void> {
    let left = count;
    while (left > 0) {
      const piece = await this.read(Math.min(left, 1 << 20));
      if (!piece.length) throw new Error('archive ends inside a member');
      sink(piece);
      left -= piece.length;
    }
  }

  /** True when nothing is left. */
  async atEnd(): Promise<boolean> {
    await this.fill(1);
    return this.available === 0;
  }
}
