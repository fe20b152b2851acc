import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../lib/errors.js';
import { OUTPUT_FORMATS, outputFormat, outputPath, parseOutputTypes, stripTypeSuffix, typesOfKind } from '../../../lib/outputs/registry.js';

describe('output format registry', () => {
  it('knows the image and tree formats with their kinds', () => {
    const kinds = Object.fromEntries(OUTPUT_FORMATS.map((f) => [f.name, f.kind]));
    expect(kinds).toEqual({
      qcow2: 'image', raw: 'image', vhd: 'image', vmdk: 'image', vdi: 'image',
      tar: 'tree', tgz: 'tree', 'tar.zst': 'tree', squashfs: 'tree', oci: 'tree', 'oci-archive': 'tree', docker: 'tree',
    });
  });

  it('names output files NAME.<extension>', () => {
    expect(outputPath('/out/img', 'qcow2')).toBe('/out/img.qcow2');
    expect(outputPath('/out/img', 'tar.zst')).toBe('/out/img.tar.zst');
    expect(outputPath('/out/img', 'squashfs')).toBe('/out/img.squashfs');
    expect(outputPath('/out/img', 'vhd')).toBe('/out/img.vhd');
    expect(outputPath('/out/img', 'tgz')).toBe('/out/img.tgz');
    expect(outputPath('/out/img', 'oci')).toBe('/out/img.oci');
    expect(outputPath('/out/img', 'oci-archive')).toBe('/out/img.oci.tar');
    expect(outputPath('/out/img', 'docker')).toBe('/out/img.docker.tar');
  });

  it('lists the tools each format needs', () => {
    expect(outputFormat('qcow2').tools).toEqual(['qemu-img']);
    expect(outputFormat('raw').tools).toEqual([]);
    expect(outputFormat('tar.zst').tools).toEqual(['tar', 'zstd']);
    expect(outputFormat('tgz').anyOf).toEqual([['pigz', 'gzip']]);
    expect(outputFormat('squashfs').tools).toEqual(['mksquashfs']);
  });

  it('parses -t lists, keeping order and dropping duplicates and blanks', () => {
    expect(parseOutputTypes('qcow2,tar')).toEqual(['qcow2', 'tar']);
    expect(parseOutputTypes(' raw , qcow2,raw,,')).toEqual(['raw', 'qcow2']);
    expect(parseOutputTypes('tar.zst')).toEqual(['tar.zst']);
  });

  it('rejects an unknown type in one line naming the valid ones', () => {
    let error: unknown;
    try {
      parseOutputTypes('qcow2,qcow3');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    const message = (error as UsageError).message;
    expect(message).not.toContain('\n');
    expect(message).toContain('"qcow3"');
    expect(message).toContain('did you mean "qcow2"');
    expect(message).toContain('valid types: qcow2, raw, vhd, vmdk, vdi, tar, tgz, tar.zst, squashfs');
  });

  it('rejects an empty -t', () => {
    expect(() => parseOutputTypes(' , ')).toThrow(/at least one output type; valid types: qcow2/);
  });

  it('strips a trailing .<type> from -o only when exactly one type is requested (DIB)', () => {
    expect(stripTypeSuffix('/out/foo.qcow2', ['qcow2'])).toBe('/out/foo');
    expect(stripTypeSuffix('/out/foo.tar.zst', ['tar.zst'])).toBe('/out/foo');
    expect(stripTypeSuffix('/out/foo.qcow2', ['qcow2', 'raw'])).toBe('/out/foo.qcow2');
    expect(stripTypeSuffix('/out/foo.raw', ['qcow2'])).toBe('/out/foo.raw');
    expect(stripTypeSuffix('/out/foo', ['qcow2'])).toBe('/out/foo');
    expect(stripTypeSuffix('/out/foo.tar', ['tar.zst'])).toBe('/out/foo.tar');
  });

  it('splits requested types by kind', () => {
    expect(typesOfKind(['tar', 'qcow2', 'raw', 'squashfs'], 'image')).toEqual(['qcow2', 'raw']);
    expect(typesOfKind(['tar', 'qcow2', 'raw', 'squashfs'], 'tree')).toEqual(['tar', 'squashfs']);
  });
});
