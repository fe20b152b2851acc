// package-installs merging: DIB's test_package_squash.py cases (collect_data), then kiln's own
// parsing, validation, file reading and rendering.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../lib/errors.js';
import {
  collectPackageInstalls,
  mergePackageInstalls,
  parsePackageInstalls,
  renderPackageInstallFiles,
  type FlavourPackages,
  type PackageInstallPlan,
} from '../../lib/flavours/package-installs.js';

/** Parses a YAML/JSON text as flavour `flavour`'s package-installs file. */
function pkgs(flavour: string, text: string): FlavourPackages {
  return parsePackageInstalls(flavour, `/flavours/${flavour}/package-installs.yaml`, text);
}

/** Like DIB's IsMatchingInstallList: order inside a list does not matter. */
function sorted(plan: PackageInstallPlan): PackageInstallPlan {
  const out = structuredClone(plan);
  for (const phase of Object.values(out)) {
    phase.install.sort();
    phase.uninstall.sort();
  }
  return out;
}

function only(install: [string, string][], uninstall: [string, string][] = [], phase: keyof PackageInstallPlan = 'install'): PackageInstallPlan {
  const plan: PackageInstallPlan = { 'pre-install': { install: [], uninstall: [] }, install: { install: [], uninstall: [] }, 'post-install': { install: [], uninstall: [] } };
  plan[phase] = { install, uninstall };
  return sorted(plan);
}

describe("DIB's test_package_squash cases", () => {
  it('test_simple: a bare package is installed in install.d', () => {
    const plan = mergePackageInstalls([pkgs('test_element', "test_package: ''")], {}, 'amd64');
    expect(sorted(plan)).toEqual(only([['test_package', 'test_element']]));
  });

  it('test_arch: arch and not-arch filter on ARCH', () => {
    const file = pkgs('test_element', 'test_package: ""\ntest_arm64_package:\n  arch: arm64\ndo_not_install:\n  not-arch: arm64\n');
    expect(sorted(mergePackageInstalls([file], {}, 'arm64'))).toEqual(only([['test_arm64_package', 'test_element'], ['test_package', 'test_element']]));
  });

  const kernelObjs = `
linux-image-generic:
  - not-arch: arm64
    when: DIB_UBUNTU_KERNEL = linux-image-generic
  - arch: arm64
    when:
      - DIB_RELEASE != xenial
      - DIB_UBUNTU_KERNEL = linux-image-generic
linux-generic-hwe-16.04:
  arch: arm64
  when:
    - DIB_RELEASE = xenial
    - DIB_UBUNTU_KERNEL = linux-image-generic
`;
  it.each([
    ['x86_64', 'focal', 'linux-image-generic'],
    ['arm64', 'xenial', 'linux-generic-hwe-16.04'],
    ['arm64', 'focal', 'linux-image-generic'],
  ])('test_param_list: %s %s installs %s', (arch, release, expected) => {
    const env = { DIB_UBUNTU_KERNEL: 'linux-image-generic', DIB_RELEASE: release };
    expect(sorted(mergePackageInstalls([pkgs('test_element', kernelObjs)], env, arch))).toEqual(only([[expected, 'test_element']]));
  });

  it('test_skip_when: = and != against a set variable', () => {
    const file = pkgs('test_element', `
skipped_package: {when: DIB_FEATURE=0}
not_skipped_package: {when: DIB_FEATURE=1}
not_equal_package: {when: DIB_FEATURE!=0}
not_equal_skipped_package: {when: DIB_FEATURE!=1}
`);
    expect(sorted(mergePackageInstalls([file], { DIB_FEATURE: '1' }, 'amd64')))
      .toEqual(only([['not_equal_package', 'test_element'], ['not_skipped_package', 'test_element']]));
  });

  it('test_skip_no_var: an unset variable in when is an error', () => {
    const file = pkgs('test_element', 'package:\n  when: MISSING_VAR=1\n');
    expect(() => mergePackageInstalls([file], {}, 'amd64')).toThrow(ConfigError);
    expect(() => mergePackageInstalls([file], {}, 'amd64')).toThrow(/MISSING_VAR is not set/);
  });

  it('test_skip_when_list: a when list is an AND', () => {
    const file = pkgs('test_element', `
not_skipped_package:
  when: [DIB_A_FEATURE=1, DIB_B_FEATURE=1, DIB_C_FEATURE=1]
skipped_package:
  when: [DIB_A_FEATURE=1, DIB_B_FEATURE=0, DIB_C_FEATURE=1]
`);
    const env = { DIB_A_FEATURE: '1', DIB_B_FEATURE: '1', DIB_C_FEATURE: '1' };
    expect(sorted(mergePackageInstalls([file], env, 'amd64'))).toEqual(only([['not_skipped_package', 'test_element']]));
  });

  it('test_install_overrides_uninstall_install_first: build-only after a plain install only installs', () => {
    const first = pkgs('test_element1', "test_package: ''");
    const second = pkgs('test_element2', "test_package: {build-only: 'true'}");
    expect(sorted(mergePackageInstalls([first], {}, 'amd64'))).toEqual(only([['test_package', 'test_element1']]));
    expect(sorted(mergePackageInstalls([first, second], {}, 'amd64')))
      .toEqual(only([['test_package', 'test_element1'], ['test_package', 'test_element2']]));
  });

  it('test_install_overrides_uninstall_uninstall_first: a plain install cancels an earlier build-only removal', () => {
    const first = pkgs('test_element1', "test_package: {build-only: 'true'}");
    const second = pkgs('test_element2', "test_package: ''");
    expect(sorted(mergePackageInstalls([first], {}, 'amd64')))
      .toEqual(only([['test_package', 'test_element1']], [['test_package', 'test_element1']]));
    expect(sorted(mergePackageInstalls([first, second], {}, 'amd64')))
      .toEqual(only([['test_package', 'test_element1'], ['test_package', 'test_element2']]));
  });
});

describe('precedence and filters beyond the DIB tests', () => {
  it('ignores an uninstall of a package another flavour installs', () => {
    const plan = mergePackageInstalls([pkgs('a', 'vim:'), pkgs('b', 'vim: {uninstall: true}')], {}, 'amd64');
    expect(plan.install).toEqual({ install: [['vim', 'a']], uninstall: [] });
  });

  it('keeps an uninstall when nobody installs the package', () => {
    const plan = mergePackageInstalls([pkgs('a', 'nano: {uninstall: }')], {}, 'amd64');
    expect(plan.install).toEqual({ install: [], uninstall: [['nano', 'a']] });
  });

  it('a later plain install removes every earlier uninstall of that package in the phase only', () => {
    const plan = mergePackageInstalls([
      pkgs('a', 'gcc: [{uninstall: 1}, {uninstall: 1, phase: post-install.d}]'),
      pkgs('b', 'gcc:'),
    ], {}, 'amd64');
    expect(plan.install).toEqual({ install: [['gcc', 'b']], uninstall: [] });
    expect(plan['post-install']).toEqual({ install: [], uninstall: [['gcc', 'a']] });
  });

  it('puts packages in their phase, with or without .d', () => {
    const plan = mergePackageInstalls([pkgs('a', 'x: {phase: pre-install.d}\ny: {phase: post-install}\nz:')], {}, 'amd64');
    expect(plan['pre-install'].install).toEqual([['x', 'a']]);
    expect(plan['post-install'].install).toEqual([['y', 'a']]);
    expect(plan.install.install).toEqual([['z', 'a']]);
  });

  it('filters on installtype per flavour, defaulting to source', () => {
    const file = pkgs('my-app', 'app-src: {installtype: source}\napp-pkg: {installtype: package}');
    expect(mergePackageInstalls([file], {}, 'amd64').install.install).toEqual([['app-src', 'my-app']]);
    expect(mergePackageInstalls([file], { DIB_DEFAULT_INSTALLTYPE: 'package' }, 'amd64').install.install).toEqual([['app-pkg', 'my-app']]);
    expect(mergePackageInstalls([file], { DIB_DEFAULT_INSTALLTYPE: 'package', DIB_INSTALLTYPE_my_app: 'source' }, 'amd64').install.install).toEqual([['app-src', 'my-app']]);
  });

  it('filters on dib_python_version (unset means 3)', () => {
    const file = pkgs('a', 'python3-yaml: {dib_python_version: 3}\npython-yaml: {dib_python_version: 2}');
    expect(mergePackageInstalls([file], {}, 'amd64').install.install).toEqual([['python3-yaml', 'a']]);
    expect(mergePackageInstalls([file], { DIB_PYTHON_VERSION: '2' }, 'amd64').install.install).toEqual([['python-yaml', 'a']]);
  });

  it('reads comma-separated arch lists with spaces', () => {
    const file = pkgs('a', 'grub-efi: {arch: "amd64, arm64"}\nsyslinux: {not-arch: "arm64, ppc64el"}');
    expect(mergePackageInstalls([file], {}, 'arm64').install.install).toEqual([['grub-efi', 'a']]);
    expect(mergePackageInstalls([file], {}, 'amd64').install.install).toEqual([['grub-efi', 'a'], ['syslinux', 'a']]);
  });

  it('does not evaluate when of a rule another filter already excludes (as DIB)', () => {
    const file = pkgs('a', 'x: {arch: arm64, when: UNSET_VAR=1}');
    expect(mergePackageInstalls([file], {}, 'amd64').install.install).toEqual([]);
  });

  it('a rule that does not apply does not cancel an uninstall', () => {
    const plan = mergePackageInstalls([pkgs('a', 'foo: {uninstall: 1}'), pkgs('b', 'foo: {arch: arm64}')], {}, 'amd64');
    expect(plan.install).toEqual({ install: [], uninstall: [['foo', 'a']] });
  });
});

describe('parsing', () => {
  it('treats null, empty string, false, [] and {} as a plain install', () => {
    const file = pkgs('a', 'a:\nb: ""\nc: false\nd: []\ne: {}\n');
    expect(Object.values(file.packages)).toEqual([[{}], [{}], [{}], [{}], [{}]]);
  });

  it('reads JSON', () => {
    const file = parsePackageInstalls('a', '/x/package-installs.json', '{"curl": null, "jq": {"phase": "pre-install.d"}}');
    expect(file.packages).toEqual({ curl: [{}], jq: [{ phase: 'pre-install.d' }] });
  });

  it('accepts an empty file', () => {
    expect(pkgs('a', '').packages).toEqual({});
    expect(pkgs('a', '# nothing yet\n').packages).toEqual({});
  });

  it.each([
    ['bad YAML', 'a: [unclosed\n', /package-installs\.yaml: not valid YAML/],
    ['a list at the top', '- curl\n', /must map package names to rules/],
    ['an unknown key', 'curl: {phases: install.d}', /package "curl": unknown key "phases"/],
    ['arch with not-arch', 'curl: {arch: amd64, not-arch: arm64}', /arch and not-arch cannot both be given/],
    ['an unknown phase', 'curl: {phase: finalise.d}', /phase "finalise.d" is not one of/],
    ['a scalar rule', 'curl: yes-please', /a rule must be a mapping/],
  ])('rejects %s with a ConfigError naming the file', (_what, text, message) => {
    expect(() => pkgs('a', text)).toThrow(ConfigError);
    expect(() => pkgs('a', text)).toThrow(message);
    expect(() => pkgs('a', text)).toThrow('/flavours/a/package-installs.yaml');
  });

  it('rejects a malformed when', () => {
    expect(() => mergePackageInstalls([pkgs('a', 'x: {when: "DIB_X"}')], {}, 'amd64')).toThrow(/is not VAR=value or VAR != value/);
  });
});

describe('rendering', () => {
  it('writes one `pkg flavour` line per entry, every phase and kind present', () => {
    const plan = mergePackageInstalls([pkgs('a', 'curl:\nmake: {build-only: 1}\ntmux: {phase: post-install.d}')], {}, 'amd64');
    expect(renderPackageInstallFiles(plan)).toEqual({
      'package-installs/pre-install.install': '',
      'package-installs/pre-install.uninstall': '',
      'package-installs/install.install': 'curl a\nmake a\n',
      'package-installs/install.uninstall': 'make a\n',
      'package-installs/post-install.install': 'tmux a\n',
      'package-installs/post-install.uninstall': '',
    });
  });
});

describe('collectPackageInstalls (reads the files)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kiln-pkgs-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function flavour(name: string, files: Record<string, string>): { name: string; path: string } {
    const path = join(dir, name);
    mkdirSync(path);
    for (const [file, text] of Object.entries(files)) writeFileSync(join(path, file), text);
    return { name, path };
  }

  it('merges flavours in order, reading .json before .yaml as DIB does', async () => {
    const a = flavour('a', { 'package-installs.yaml': 'curl: {uninstall: 1}\n', 'package-installs.json': '{"curl": null}' });
    const b = flavour('b', {});
    const plan = await collectPackageInstalls([a, b], {}, 'amd64');
    // JSON first: curl installed, then the YAML's uninstall is ignored.
    expect(plan.install).toEqual({ install: [['curl', 'a']], uninstall: [] });
  });

  it('names the file of a broken flavour', async () => {
    const a = flavour('broken', { 'package-installs.yaml': 'x: [\n' });
    await expect(collectPackageInstalls([a], {}, 'amd64')).rejects.toThrow(join(dir, 'broken', 'package-installs.yaml'));
  });
});
