// Lints every built-in flavour (DIB's dib-lint and test_no_dup_filenames, for kiln).
import { existsSync, readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HOOK_NAME } from '../../lib/flavours/hooks.js';
import { PHASES } from '../../lib/flavours/phases.js';

const root = join(import.meta.dirname, '../../flavours');
const flavours = readdirSync(root).filter((name) => statSync(join(root, name)).isDirectory()).sort();

function hooksOf(flavour: string): { phase: string; name: string; path: string }[] {
  return PHASES.flatMap((phase) => {
    const dir = join(root, flavour, phase.dir);
    return existsSync(dir) ? readdirSync(dir).map((name) => ({ phase: phase.dir, name, path: join(dir, name) })) : [];
  });
}

function listFiles(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).map((name) => join(dir, name)).filter((path) => statSync(path).isFile()) : [];
}

describe('built-in flavours', () => {
  it('exist', () => {
    expect(flavours.length).toBeGreaterThan(5);
  });

  it.each(flavours)('%s has a README.md', (flavour) => {
    expect(existsSync(join(root, flavour, 'README.md')), `${flavour}/README.md`).toBe(true);
  });

  it.each(flavours)('%s: hooks are executable, correctly named, and bash hooks are strict', (flavour) => {
    for (const hook of hooksOf(flavour)) {
      expect(HOOK_NAME.test(hook.name), `${hook.path}: name must match ${HOOK_NAME}`).toBe(true);
      expect(statSync(hook.path).mode & 0o111, `${hook.path} must be executable`).not.toBe(0);
      const text = readFileSync(hook.path, 'utf8');
      if (/^#!.*\bbash\b/.test(text)) {
        expect(/^\s*set -[a-z]*e[a-z]*u|^\s*set -[a-z]*u[a-z]*e/m.test(text) || (/^\s*set -e/m.test(text) && /^\s*set -u/m.test(text)), `${hook.path}: needs set -eu`).toBe(true);
        expect(/set .*-o pipefail/.test(text), `${hook.path}: needs set -o pipefail`).toBe(true);
      }
    }
  });

  it.each(flavours)('%s: environment.d files are not executable', (flavour) => {
    const dir = join(root, flavour, 'environment.d');
    if (!existsSync(dir)) return;
    for (const name of readdirSync(dir)) expect(statSync(join(dir, name)).mode & 0o111, `${dir}/${name}`).toBe(0);
  });

  it('no two flavours share a hook name in a phase', () => {
    const owners = new Map<string, string>();
    const clashes: string[] = [];
    for (const flavour of flavours) {
      for (const hook of hooksOf(flavour)) {
        const key = `${hook.phase}/${hook.name}`;
        const other = owners.get(key);
        if (other) clashes.push(`${key}: ${other} and ${flavour}`);
        owners.set(key, flavour);
      }
    }
    expect(clashes).toEqual([]);
  });

  it('package-installs runs one script in all six of its hooks (install and uninstall, three phases)', () => {
    const hooks = hooksOf('package-installs');
    expect(hooks.map((h) => `${h.phase}/${h.name}`).sort()).toEqual([
      'install.d/01-package-installs', 'install.d/99-package-uninstalls', 'post-install.d/00-package-installs',
      'post-install.d/95-package-uninstalls', 'pre-install.d/10-package-installs', 'pre-install.d/99-package-uninstalls',
    ]);
    expect(new Set(hooks.map((h) => realpathSync(h.path)))).toEqual(new Set([join(root, 'package-installs/install.d/01-package-installs')]));
  });
});

describe('sudoers.d/kiln', () => {
  const file = join(import.meta.dirname, '../../sudoers.d/kiln');

  it('is exactly what lib/exec/privileged.ts renders', async () => {
    const { renderSudoers } = await import('../../lib/exec/sudoers.js');
    expect(readFileSync(file, 'utf8')).toBe(renderSudoers());
  });

  it('grants every program the built-in flavours run with $KILN_SUDO', async () => {
    const { PRIVILEGED_PROGRAMS } = await import('../../lib/exec/privileged.js');
    const scripts = flavours.flatMap((f) => [...hooksOf(f).map((h) => h.path), ...listFiles(join(root, f, 'bin'))]);
    const used = new Set(scripts.flatMap((path) => [...readFileSync(path, 'utf8').matchAll(/^[^#\n]*\$\{?KILN_SUDO\}?\s+([a-z][\w.-]*)/gm)].map((m) => m[1]!)));
    expect([...used].filter((program) => !Object.hasOwn(PRIVILEGED_PROGRAMS, program)).sort()).toEqual([]);
    expect(used.size).toBeGreaterThan(5);
  });
});
