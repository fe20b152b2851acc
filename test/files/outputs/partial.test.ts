// Outputs appear only when complete, and a build's outputs appear together, under a name no other
// build can write at the same time; with the real filesystem.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { currentOutput, OutputSet, writeAtomically } from '../../../lib/outputs/partial.js';
import { LockBusyError } from '../../../lib/resources/file-lock.js';
import { selfIdentity } from '../../../lib/resources/process-identity.js';

describe('writeAtomically on its own', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kiln-partial-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes under a unique hidden name and renames when complete, creating the folder', async () => {
    const path = join(dir, 'sub', 'img.tar');
    let seen = '';
    await writeAtomically(path, async (partial) => {
      seen = partial;
      expect(dirname(partial)).toMatch(/\/sub\/\.img\.tar\.kiln-partial\.[A-Za-z0-9]{6}$/);
      await writeFile(partial, 'data');
      expect(existsSync(path)).toBe(false);
    });
    expect(readFileSync(path, 'utf8')).toBe('data');
    expect(readdirSync(join(dir, 'sub'))).toEqual(['img.tar']);
    // Two writers of the same name never share a temporary name.
    await writeAtomically(path, async (partial) => {
      expect(partial).not.toBe(seen);
      await writeFile(partial, 'again');
    });
  });

  it('removes the partial file and keeps an older output when writing fails', async () => {
    const path = join(dir, 'img.tar');
    writeFileSync(path, 'previous build');
    await expect(writeAtomically(path, async (partial) => {
      await writeFile(partial, 'half');
      throw new Error('tar died');
    })).rejects.toThrow('tar died');
    expect(readdirSync(dir)).toEqual(['img.tar']);
    expect(readFileSync(path, 'utf8')).toBe('previous build');
  });

  it('does not write through a link planted at the old fixed partial name', async () => {
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'keep');
    symlinkSync(victim, join(dir, '.img.tar.kiln-partial'));
    await writeAtomically(join(dir, 'img.tar'), (partial) => writeFile(partial, 'new'));
    expect(readFileSync(victim, 'utf8')).toBe('keep');
  });
});

describe('OutputSet: a build\'s outputs', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kiln-outset-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('are staged until commit, then appear together; the name is free again afterwards', async () => {
    writeFileSync(join(dir, 'img.qcow2'), 'old qcow2');
    mkdirSync(join(dir, 'img.oci'));
    writeFileSync(join(dir, 'img.oci/index.json'), 'old layout');
    {
      await using set = await OutputSet.open(join(dir, 'img'));
      await set.run(async () => {
        await writeAtomically(join(dir, 'img.qcow2'), (p) => writeFile(p, 'new qcow2'));
        await writeAtomically(join(dir, 'img.raw'), (p) => writeFile(p, 'new raw'));
        expect(readFileSync(currentOutput(join(dir, 'img.raw')), 'utf8')).toBe('new raw');
      });
      const layout = join(set.staging, 'layout');
      mkdirSync(layout);
      writeFileSync(join(layout, 'index.json'), 'new layout');
      await set.adopt(layout, join(dir, 'img.oci'));
      expect(readFileSync(join(dir, 'img.qcow2'), 'utf8')).toBe('old qcow2');
      expect(existsSync(join(dir, 'img.raw'))).toBe(false);
      await set.commit();
    }
    expect(readFileSync(join(dir, 'img.qcow2'), 'utf8')).toBe('new qcow2');
    expect(readFileSync(join(dir, 'img.raw'), 'utf8')).toBe('new raw');
    expect(readFileSync(join(dir, 'img.oci/index.json'), 'utf8')).toBe('new layout');
    expect(readdirSync(dir).sort()).toEqual(['img.oci', 'img.qcow2', 'img.raw']);
  });

  it('replace nothing when the build fails after some were written', async () => {
    writeFileSync(join(dir, 'img.qcow2'), 'old qcow2');
    const build = async (): Promise<void> => {
      await using set = await OutputSet.open(join(dir, 'img'));
      await set.run(async () => {
        await writeAtomically(join(dir, 'img.qcow2'), (p) => writeFile(p, 'new qcow2'));
        await writeAtomically(join(dir, 'img.vmdk'), () => Promise.reject(new Error('qemu-img died')));
      });
      await set.commit();
    };
    await expect(build()).rejects.toThrow('qemu-img died');
    expect(readdirSync(dir)).toEqual(['img.qcow2']);
    expect(readFileSync(join(dir, 'img.qcow2'), 'utf8')).toBe('old qcow2');
  });

  it('refuse a second build with the same name at once, naming the first', async () => {
    await using first = await OutputSet.open(join(dir, 'img'));
    const second = OutputSet.open(join(dir, 'img'));
    await expect(second).rejects.toBeInstanceOf(LockBusyError);
    await expect(OutputSet.open(join(dir, 'img'))).rejects.toThrow(`the output name ${join(dir, 'img')} is in use by kiln process ${process.pid}`);
    expect(first.dir).toBe(dir);
    // Another name in the same folder is free.
    await using other = await OutputSet.open(join(dir, 'other'));
    expect(other.staging).not.toBe(first.staging);
  });

  it('take over the name of a build that is provably gone, and clear its staging folder', async () => {
    const dead = { ...selfIdentity(), startTicks: 1 };
    writeFileSync(join(dir, '.img.kiln-lock'), JSON.stringify(dead));
    mkdirSync(join(dir, '.img.kiln-staging.AbCdEf'));
    writeFileSync(join(dir, '.img.kiln-staging.AbCdEf/img.qcow2'), 'half');
    {
      await using set = await OutputSet.open(join(dir, 'img'));
      expect(readdirSync(dir).sort()).toEqual(['.img.kiln-lock', set.staging.slice(dir.length + 1)].sort());
    }
    expect(readdirSync(dir)).toEqual([]);
  });

  it('wait for nobody when the holder is in another pid namespace: refused, not taken over', async () => {
    writeFileSync(join(dir, '.img.kiln-lock'), JSON.stringify({ ...selfIdentity(), pid: 1, pidNamespace: 'pid:[1]' }));
    await expect(OutputSet.open(join(dir, 'img'))).rejects.toThrow(/in use by kiln process 1 in another pid namespace/);
    expect(existsSync(join(dir, '.img.kiln-lock'))).toBe(true);
  });
});
