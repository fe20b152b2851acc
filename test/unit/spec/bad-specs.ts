// Malformed build specs, each with the line kiln must print for it (the JSON path first). Shared
// by the unit test (the loader in-process) and the end-to-end test (the real command, exit 2).

/** Fuel's seed example with the Debian mirror, as a base for broken variants. */
export function fuelDocument(output = '/tmp/targetimages'): Record<string, unknown> {
  return {
    image_data: {
      '/boot': { container: 'gzip', uri: 'http://127.0.0.1:8080/targetimages/env_4_debian_12_amd64-boot.img.gz', format: 'ext2' },
      '/': { container: 'gzip', uri: 'http://127.0.0.1:8080/targetimages/env_4_debian_12_amd64.img.gz', format: 'ext4' },
    },
    output,
    repos: [{ name: 'debian', section: 'main', uri: 'http://deb.debian.org/debian', priority: 1001, suite: 'bookworm', type: 'deb' }],
    codename: 'bookworm',
  };
}

type Doc = Record<string, any>;
const fuel = (change: (d: Doc) => void): string => {
  const doc = fuelDocument() as Doc;
  change(doc);
  return JSON.stringify(doc, null, 2);
};
const kiln = (doc: Doc): string => JSON.stringify(doc, null, 2);

/** [what, document text, the line expected on stderr (a regular expression)]. */
export const BAD_SPECS: [string, string, RegExp][] = [
  ['Fuel: no image_data', fuel((d) => delete d.image_data), /^ {2}image_data: missing: this key is required/m],
  ['Fuel: a mount point that is not absolute', fuel((d) => (d.image_data.boot = d.image_data['/boot'])), /^ {2}image_data\.boot \(line \d+\): not a valid key: a mount point must be an absolute path/m],
  ['Fuel: two images for one mount point (the key twice)', fuel(() => undefined).replace('"/": {', '"/boot": {"uri": "http://h/x.img.gz", "format": "ext2", "container": "gzip"},\n    "/": {'),
    /^ {2}image_data\["\/boot"\] \(line \d+\): given twice \(lines \d+ and \d+\)/m],
  ['Fuel: two images for one mount point (written two ways)', fuel((d) => (d.image_data['/boot/'] = { uri: 'http://h/b2.img.gz', format: 'ext2', container: 'gzip' })),
    /^ {2}image_data\["\/boot\/"\] \(line \d+\): a second image for mount point \/boot \(also given as "\/boot"\)/m],
  ['Fuel: a mount point written loosely', fuel((d) => ((d.image_data['/boot/'] = d.image_data['/boot']), delete d.image_data['/boot'])),
    /^ {2}image_data\["\/boot\/"\] \(line \d+\): write the mount point as "\/boot"/m],
  ['Fuel: no image for /', fuel((d) => delete d.image_data['/']), /^ {2}image_data \(line \d+\): needs an image for the root filesystem "\/"/m],
  ['Fuel: no images at all', fuel((d) => (d.image_data = {})), /^ {2}image_data \(line \d+\): must not be empty/m],
  ['Fuel: unknown format', fuel((d) => (d.image_data['/'].format = 'btrfs')), /^ {2}image_data\["\/"\]\.format \(line \d+\): expected one of ext2, ext3, ext4, xfs, got "btrfs"/m],
  ['Fuel: unknown container', fuel((d) => (d.image_data['/boot'].container = 'gz')), /^ {2}image_data\["\/boot"\]\.container \(line \d+\): expected one of gzip, raw, zstd, got "gz"/m],
  ['Fuel: an image uri without a file name', fuel((d) => (d.image_data['/'].uri = 'http://127.0.0.1:8080/targetimages/')), /^ {2}image_data\["\/"\]\.uri \(line \d+\): expected a URI ending with a file name/m],
  ['Fuel: two images with one file name', fuel((d) => (d.image_data['/boot'].uri = 'http://other/env_4_debian_12_amd64.img.gz')), /^ {2}image_data\["\/"\]\.uri \(line \d+\): names the file "env_4_debian_12_amd64\.img\.gz"/m],
  ['Fuel: a repository without uri', fuel((d) => delete d.repos[0].uri), /^ {2}repos\[0\]\.uri \(line \d+\): missing: this key is required/m],
  ['Fuel: a non-integer priority', fuel((d) => d.repos.push({ ...d.repos[0], name: 'extra', priority: 'high' })), /^ {2}repos\[1\]\.priority \(line \d+\): expected an integer or null, got "high"/m],
  ['Fuel: a fractional priority', fuel((d) => (d.repos[0].priority = 500.5)), /^ {2}repos\[0\]\.priority \(line \d+\): expected an integer or null, got 500\.5/m],
  ['Fuel: two repositories with one name', fuel((d) => d.repos.push({ ...d.repos[0] })), /^ {2}repos\[1\]\.name \(line \d+\): "debian" already names repository 0/m],
  ['Fuel: a repository type other than deb', fuel((d) => (d.repos[0].type = 'rpm')), /^ {2}repos\[0\]\.type \(line \d+\): expected one of deb, got "rpm"/m],
  ['Fuel: no repositories', fuel((d) => (d.repos = [])), /^ {2}repos \(line \d+\): must not be empty/m],
  ['Fuel: a misspelt key', fuel((d) => ((d.reops = d.repos), delete d.repos)), /^ {2}reops \(line \d+\): unknown key \(did you mean "repos"\?\)/m],
  ['Fuel: an empty output folder', fuel((d) => (d.output = '')), /^ {2}output \(line \d+\): must not be empty/m],
  ['Fuel: a codename that is a number', fuel((d) => (d.codename = 12)), /^ {2}codename \(line \d+\): expected a string, got 12/m],
  ['Fuel: packages as one string', fuel((d) => (d.packages = 'vim curl')), /^ {2}packages \(line \d+\): expected a list, got "vim curl"/m],
  ['Fuel: a proxy that is not a URL', fuel((d) => (d.proxies = { protocols: { http: 'proxy:3128' } })), /^ {2}proxies\.protocols\.http \(line \d+\): expected a proxy URL/m],
  ['Fuel: both passwords', fuel((d) => ((d.root_password = 'r00tme'), (d.hashed_root_password = '$6$x$y'))), /^ {2}hashed_root_password \(line \d+\): give root_password or hashed_root_password, not both/m],
  ['Fuel: a password hash that is not one', fuel((d) => (d.hashed_root_password = 'r00tme')), /^ {2}hashed_root_password \(line \d+\): expected a crypt\(3\) hash/m],
  ['invalid JSON', '{\n  "image_data": {\n    "/": {"uri": "http://h/r.img.gz",, "format": "ext4"}\n  }\n}\n', /^ {2}\(document\) \(line 3\): invalid JSON: .* \(column \d+\)/m],
  ['invalid YAML', 'flavours: [debian, vm\nname: x\n', /^ {2}\(document\) \(line \d+\): invalid YAML: /m],
  ['a list instead of an object', '["debian", "vm"]', /^ {2}\(document\)( \(line 1\))?: expected an object/m],
  ['an empty document', '   \n', /^ {2}\(document\): the document is empty/m],
  ['kiln: no flavours', kiln({ output: 'x' }), /^ {2}flavours: missing: this key is required/m],
  ['kiln: flavours as one string', kiln({ flavours: 'debian vm' }), /^ {2}flavours \(line \d+\): expected a list, got "debian vm"/m],
  ['kiln: a misspelt key', kiln({ flavors: ['debian'] }), /^ {2}flavors \(line \d+\): unknown key \(did you mean "flavours"\?\)/m],
  ['kiln: an unknown output type', kiln({ flavours: ['debian'], types: ['qcow3'] }), /^ {2}types\[0\] \(line \d+\): expected one of qcow2, .* got "qcow3" \(did you mean "qcow2"\?\)/m],
  ['kiln: a size that is not one', kiln({ flavours: ['debian'], imageSize: '2X' }), /^ {2}imageSize \(line \d+\): expected a size such as "2G"/m],
  ['kiln: a value the option table refuses', kiln({ flavours: ['debian'], qemuImgOptions: 'cluster_size' }), /^ {2}qemuImgOptions \(line \d+\): .*"cluster_size" is not key=value/m],
  ['kiln: an option of the other kind of build', kiln({ kind: 'ramdisk', flavours: ['debian'], checksum: true }), /^ {2}checksum \(line \d+\): not an option of ramdisk builds/m],
  ['kiln: an unknown architecture', kiln({ flavours: ['debian'], arch: 'sparc' }), /^ {2}arch \(line \d+\): expected one of amd64, .* got "sparc"/m],
  ['kiln: a negative trace level', kiln({ flavours: ['debian'], trace: -1 }), /^ {2}trace \(line \d+\): expected at least 0, got -1/m],
  ['kiln: a variable name with a dash', kiln({ flavours: ['debian'], environment: { 'MY-VAR': '1' } }), /^ {2}environment\["MY-VAR"\] \(line \d+\): not a valid key: a variable name/m],
  ['kiln: filesystem images with a disk image type', kiln({ flavours: ['debian'], types: ['qcow2'], filesystemImages: { '/': { file: 'r.img', format: 'ext4' } } }),
    /^ {2}types\[0\] \(line \d+\): "qcow2" is a disk image; with filesystemImages only tree formats/m],
  ['kiln: a repository priority as text (YAML)', 'flavours: [debian]\nrepos:\n  - {name: a, uri: "http://h/d", suite: s, section: main, priority: "500"}\n', /^ {2}repos\[0\]\.priority \(line 3\): expected an integer or null, got "500"/m],
];
