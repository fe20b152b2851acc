// The apt-sources flavour's hooks against a private apt root (APT_CONFIG points apt at a temp
// folder; the host's apt is never touched) with repositories on file: URIs made by the test:
// the sources and build-only settings (proxies, direct hosts, unsigned repositories), a pin that
// makes apt pick the older version from the pinned repository, checked by apt itself, and the
// refusal when two repositories cannot be told apart.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildDeb, buildRepo } from '../helpers/apt-repo.js';
import { tempDir } from '../helpers/tree.js';

const hooks = join(import.meta.dirname, '../../flavours/apt-sources/pre-install.d');
let tmp: ReturnType<typeof tempDir>;
let env: Record<string, string>;

beforeEach(() => {
  tmp = tempDir();
  const root = join(tmp.path, 'root');
  for (const dir of ['etc/apt/sources.list.d', 'etc/apt/preferences.d', 'etc/apt/apt.conf.d', 'var/lib/apt/lists/partial', 'var/cache/apt/archives/partial', 'var/lib/dpkg']) mkdirSync(join(root, dir), { recursive: true });
  writeFileSync(join(root, 'var/lib/dpkg/status'), '');
  writeFileSync(join(tmp.path, 'apt.conf'), `Dir "${root}/";\nDir::State::status "${root}/var/lib/dpkg/status";\nDebug::NoLocking "1";\nAPT::Architecture "amd64";\n`);
  const debs = join(tmp.path, 'debs');
  mkdirSync(debs);
  buildRepo(join(tmp.path, 'old'), { suite: 'old', origin: 'tests', label: 'old things', debs: [buildDeb(debs, 'kiln-pin-test', '1.0')] });
  buildRepo(join(tmp.path, 'new'), { suite: 'new', origin: 'tests', label: 'new things', debs: [buildDeb(debs, 'kiln-pin-test', '2.0')] });
  buildRepo(join(tmp.path, 'twin'), { suite: 'new', origin: 'tests', label: 'new things', debs: [buildDeb(debs, 'kiln-pin-test', '3.0')] });
  env = { PATH: process.env.PATH ?? '/usr/bin:/bin', APT_CONFIG: join(tmp.path, 'apt.conf'), KILN_APT_ALLOW_UNSIGNED: '1' };
});
afterEach(() => tmp.cleanup());

function hook(name: string, repos: string, extra: Record<string, string> = {}): { status: number | null; output: string } {
  const result = spawnSync(join(hooks, name), { env: { ...env, KILN_APT_REPOS: repos, ...extra } });
  return { status: result.status, output: `${result.stdout.toString()}${result.stderr.toString()}` };
}

function apt(...args: string[]): string {
  return execFileSync(args[0]!, args.slice(1), { env }).toString();
}

const repo = (name: string, suite: string, priority: string): string => `${name}|file://${join(tmp.path, name)}|${suite}|main|${priority}`;

describe('apt-sources', () => {
  it('writes one source per repository and the build-only settings', () => {
    const result = hook('00-apt-sources', [repo('old', 'old', '990'), repo('new', 'new', '')].join('\n'), {
      http_proxy: 'http://proxy:3128', KILN_APT_DIRECT_HOSTS: '127.0.0.1 mirror.local',
    });
    expect(result.status, result.output).toBe(0);
    expect(readFileSync(join(tmp.path, 'root/etc/apt/sources.list.d/old.list'), 'utf8')).toContain(`deb file://${join(tmp.path, 'old')} old main`);
    const conf = readFileSync(join(tmp.path, 'root/etc/apt/apt.conf.d/01kiln-apt-sources-build'), 'utf8');
    expect(conf).toContain('Acquire::Retries "10";');
    expect(conf).toContain('Acquire::http::Proxy "http://proxy:3128";');
    expect(conf).toContain('Acquire::http::Proxy::mirror.local "DIRECT";');
    expect(conf).toContain('Acquire::AllowInsecureRepositories "true";');
  });

  it('pins the repository with a priority, so apt picks its older version, and checks it with apt', () => {
    const repos = [repo('old', 'old', '990'), repo('new', 'new', '500')].join('\n');
    expect(hook('00-apt-sources', repos).status).toBe(0);
    apt('apt-get', '-q', 'update');
    const result = hook('01-apt-pins', repos);
    expect(result.status, result.output).toBe(0);
    expect(result.output).toContain('apt-sources: old: pinned at 990 (release o=tests,a=old,n=old,l=old things,c=main)');
    expect(result.output).toContain('apt-sources: apt confirms the priority of every pinned repository');
    expect(apt('apt-cache', 'policy', 'kiln-pin-test')).toMatch(/Candidate: 1\.0\n[\s\S]*1\.0 990\n\s+990 file:/);
  });

  it('refuses to pin a repository that apt cannot tell from another one, and says which', () => {
    const repos = [repo('new', 'new', '990'), repo('twin', 'new', '')].join('\n');
    expect(hook('00-apt-sources', repos).status).toBe(0);
    apt('apt-get', '-q', 'update');
    const result = hook('01-apt-pins', repos);
    expect(result.status).toBe(1);
    expect(result.output).toMatch(/apt-sources: ERROR: cannot pin repository new alone: .* same Release fields \(o=tests,a=new,n=new,l=new things,c=main\) and host \(none\) as file:.*twin new\/main/);
  });
});
