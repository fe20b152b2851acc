import { describe, expect, it } from 'vitest';
import { classifyEnvFile, isPlainEnvFile, mergeEnvironment, orderEnvFiles, shellAssignments, userVariables } from '../../lib/plan/hook-environment.js';
import { join } from 'node:path';
import { invokingHome } from '../../lib/environment.js';
import { tempDir, writeTree } from '../helpers/tree.js';

describe('environment.d files', () => {
  it('recognises plain KEY=VALUE files and parses them with dotenv', () => {
    const text = '# defaults\nDIB_RELEASE=bookworm\nexport FOO="a b"\nBAR=\'x$y\'\n';
    expect(isPlainEnvFile(text)).toBe(true);
    expect(classifyEnvFile('debian', '10-debian', '/p', text)).toMatchObject({ kind: 'plain', vars: { DIB_RELEASE: 'bookworm', FOO: 'a b', BAR: 'x$y' } });
  });
  it('treats anything with shell expansion as a snippet to source', () => {
    for (const text of ['export DIB_RELEASE=${DIB_RELEASE:-bookworm}\n', 'X=$(uname -m)\n', 'if true; then X=1; fi\n', 'X="$HOME/x"\n']) {
      expect(isPlainEnvFile(text)).toBe(false);
    }
    expect(shellAssignments('export DIB_RELEASE=${DIB_RELEASE:-bookworm}\nexport X="y"\n')).toEqual({ DIB_RELEASE: 'bookworm', X: 'y' });
  });
  it('orders files by byte order of their names across flavours (10-b before 9-a)', () => {
    const files = orderEnvFiles([
      classifyEnvFile('a', '9-a', '/a/9-a', 'A=1\n'),
      classifyEnvFile('b', '10-b', '/b/10-b', 'B=1\n'),
      classifyEnvFile('b', '10-a.bash', '/b/10-a.bash', 'C=1\n'),
    ]);
    expect(files.map((f) => f.name)).toEqual(['10-a.bash', '10-b', '9-a']);
  });
  it('rejects the same file name in two flavours', () => {
    expect(() => orderEnvFiles([classifyEnvFile('a', '10-x', '/a', 'A=1'), classifyEnvFile('b', '10-x', '/b', 'A=2')]))
      .toThrow('environment.d/10-x exists in flavour "a" (/a) and in flavour "b" (/b)');
  });
  it('lets the user\'s variables win over flavour defaults, and kiln\'s over both', () => {
    const files = orderEnvFiles([classifyEnvFile('debian', '10-debian', '/d', 'DIB_RELEASE=bookworm\nDISTRO_NAME=debian\nARCH=i386\n')]);
    const merged = mergeEnvironment(files, userVariables({ DIB_RELEASE: 'trixie', HOME: '/root', PATH: '/bin' }), [{ name: 'ARCH', value: 'amd64', source: 'kiln' }]);
    expect(merged).toEqual([
      { name: 'DIB_RELEASE', value: 'trixie', source: 'environment' },
      { name: 'DISTRO_NAME', value: 'debian', source: 'debian/environment.d/10-debian' },
      { name: 'ARCH', value: 'amd64', source: 'kiln' },
    ]);
  });
});

describe('the invoking user\'s home', () => {
  it('is the sudo caller\'s home from passwd under sudo, else HOME', () => {
    const tmp = tempDir();
    try {
      writeTree(tmp.path, { passwd: 'root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/srv/alice:/bin/bash\n' });
      const passwd = join(tmp.path, 'passwd');
      expect(invokingHome({ SUDO_USER: 'alice', HOME: '/root' }, passwd)).toBe('/srv/alice');
      expect(invokingHome({ SUDO_USER: 'bob', HOME: '/root' }, passwd)).toBe('/home/bob');
      expect(invokingHome({ SUDO_USER: 'root', HOME: '/root' }, passwd)).toBe('/root');
      expect(invokingHome({ HOME: '/home/carol' }, passwd)).toBe('/home/carol');
    } finally {
      tmp.cleanup();
    }
  });
});
