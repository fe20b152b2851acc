// Local apt repositories for tests: packages built with dpkg-deb, a Packages index and a Release
// file written here (unsigned, as Fuel's repositories often were), and a static HTTP server on
// 127.0.0.1 that serves folders to builds (apt) and to QEMU guests (10.0.2.2 is the host's
// loopback under QEMU's user networking).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join, normalize, relative, sep } from 'node:path';

/** Builds `NAME_VERSION_all.deb` holding /usr/share/doc/NAME/version; returns its path. */
export function buildDeb(dir: string, name: string, version: string): string {
  const root = join(dir, `${name}-${version}`);
  mkdirSync(join(root, 'DEBIAN'), { recursive: true });
  mkdirSync(join(root, 'usr/share/doc', name), { recursive: true });
  writeFileSync(join(root, 'usr/share/doc', name, 'version'), `${version}\n`);
  writeFileSync(join(root, 'DEBIAN/control'), [
    `Package: ${name}`, `Version: ${version}`, 'Architecture: all', 'Maintainer: kiln tests <tests@kiln.invalid>',
    'Priority: optional', 'Section: misc', `Description: kiln pinning test package, version ${version}`, '',
  ].join('\n'));
  const deb = join(dir, `${name}_${version}_all.deb`);
  execFileSync('dpkg-deb', ['--root-owner-group', '--build', root, deb], { stdio: 'ignore' });
  return deb;
}

function digests(path: string): { size: number; md5: string; sha256: string } {
  const data = readFileSync(path);
  return { size: data.length, md5: createHash('md5').update(data).digest('hex'), sha256: createHash('sha256').update(data).digest('hex') };
}

/** One repository: `root/dists/SUITE/main/binary-amd64/Packages`, `root/pool/...` and a Release file. */
export function buildRepo(root: string, repo: { suite: string; origin: string; label: string; debs: string[] }): void {
  const pool = join(root, 'pool/main');
  const index = join(root, 'dists', repo.suite, 'main/binary-amd64');
  mkdirSync(pool, { recursive: true });
  mkdirSync(index, { recursive: true });
  const stanzas = repo.debs.map((deb) => {
    const name = deb.split('/').pop()!;
    writeFileSync(join(pool, name), readFileSync(deb));
    const control = execFileSync('dpkg-deb', ['--field', deb]).toString().trimEnd();
    const d = digests(join(pool, name));
    return `${control}\nFilename: pool/main/${name}\nSize: ${d.size}\nMD5sum: ${d.md5}\nSHA256: ${d.sha256}\n`;
  });
  writeFileSync(join(index, 'Packages'), stanzas.join('\n'));
  const packages = digests(join(index, 'Packages'));
  writeFileSync(join(root, 'dists', repo.suite, 'Release'), [
    `Origin: ${repo.origin}`, `Label: ${repo.label}`, `Suite: ${repo.suite}`, `Codename: ${repo.suite}`,
    `Date: ${new Date().toUTCString()}`, 'Architectures: amd64 all', 'Components: main',
    'MD5Sum:', ` ${packages.md5} ${packages.size} main/binary-amd64/Packages`,
    'SHA256:', ` ${packages.sha256} ${packages.size} main/binary-amd64/Packages`, '',
  ].join('\n'));
}

/** A static file server on 127.0.0.1 (a free port) for `root`; every request is logged. */
export async function serveFolder(root: string): Promise<{ port: number; requests: string[]; close: () => Promise<void> }> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = normalize(join(root, decodeURIComponent((req.url ?? '/').split('?')[0]!)));
    requests.push(req.url ?? '');
    const inside = !relative(root, path).startsWith(`..${sep}`) && relative(root, path) !== '..';
    let size = -1;
    try {
      size = inside && statSync(path).isFile() ? statSync(path).size : -1;
    } catch {
      size = -1;
    }
    if (size < 0) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-length': size, 'content-type': 'application/octet-stream' });
    if (req.method === 'HEAD') res.end();
    else createReadStream(path, { highWaterMark: 1 << 20 }).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { port, requests, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
