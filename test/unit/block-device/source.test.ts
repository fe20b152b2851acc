// Where the block-device config comes from (DIB common-functions block_device_create_config_file).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseBlockDeviceConfig } from '../../../lib/block-device/config.js';
import { FALLBACK_CONFIG, selectConfigSource } from '../../../lib/block-device/source.js';
import { errorOf } from './helpers.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kiln-bd-source-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function flavour(name: string, files: Record<string, string>): { name: string; path: string } {
  const path = join(dir, name);
  mkdirSync(path);
  for (const [file, text] of Object.entries(files)) writeFileSync(join(path, file), text);
  return { name, path };
}

describe('selectConfigSource', () => {
  it('reads DIB_BLOCK_DEVICE_CONFIG=file://path, relative to the working folder', () => {
    writeFileSync(join(dir, 'layout.yaml'), '- local_loop: {name: x}\n');
    const picked = selectConfigSource({ envValue: 'file://layout.yaml', flavours: [], arch: 'amd64', cwd: dir });
    expect(picked).toEqual({ text: '- local_loop: {name: x}\n', source: join(dir, 'layout.yaml'), ignored: [] });
  });

  it('names a missing file:// config in a ConfigError', () => {
    const error = errorOf(() => selectConfigSource({ envValue: 'file:///nowhere/x.yaml', flavours: [], arch: 'amd64', cwd: dir }));
    expect(error.message).toBe('/nowhere/x.yaml: cannot read the block-device config: does not exist');
  });

  it('takes inline YAML from DIB_BLOCK_DEVICE_CONFIG before any flavour', () => {
    const f = flavour('block-device-mbr', { 'block-device-default.yaml': 'x' });
    const picked = selectConfigSource({ envValue: '- local_loop: {name: y}', flavours: [f], arch: 'amd64', cwd: dir });
    expect(picked.source).toBe('DIB_BLOCK_DEVICE_CONFIG');
  });

  it('prefers a flavour\'s block-device-<arch>.yaml, then its default; the first flavour wins', () => {
    const a = flavour('a', { 'block-device-default.yaml': 'a-default' });
    const b = flavour('b', { 'block-device-ppc64el.yaml': 'b-power', 'block-device-default.yaml': 'b-default' });
    expect(selectConfigSource({ envValue: undefined, flavours: [b, a], arch: 'ppc64le', cwd: dir }).text).toBe('b-power');
    const picked = selectConfigSource({ envValue: '', flavours: [a, b], arch: 'amd64', cwd: dir });
    expect(picked).toEqual({ text: 'a-default', source: join(a.path, 'block-device-default.yaml'), ignored: [join(b.path, 'block-device-default.yaml')] });
  });

  it('falls back to a bare root filesystem without partition table', () => {
    const picked = selectConfigSource({ envValue: undefined, flavours: [flavour('x', {})], arch: 'amd64', cwd: dir });
    expect(picked.text).toBe(FALLBACK_CONFIG);
    const config = parseBlockDeviceConfig(picked.text, picked.source);
    expect(config.partitioning).toBeUndefined();
    expect(config.filesystems.map((f) => [f.name, f.base, f.type])).toEqual([['mkfs_root', 'image0', 'ext4']]);
    expect(config.fstab[0]).toMatchObject({ fsckPassno: 1, options: 'defaults' });
  });
});
