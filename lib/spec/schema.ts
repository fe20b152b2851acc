// The JSON Schemas of the two spec dialects, built from one set of definitions: kiln's own build
// spec (its options are the option table's fields, spec/options.ts) and Fuel's image build document. The files in
// schema/ are these objects written out (`npm run schema`; a test keeps them in step), so
// editors validate specs with exactly what kiln checks. Pure.
import { optionSchemas, type JsonSchema } from './options.js';

/** Mount-point filesystem formats and the containers they can be put in. */
export const FS_FORMATS = ['ext2', 'ext3', 'ext4', 'xfs'] as const;
export const CONTAINERS = ['gzip', 'raw', 'zstd'] as const;

const MOUNT_POINT = { pattern: '^/', errorText: 'a mount point must be an absolute path such as "/" or "/boot"' };
const PROXY = { type: 'string', pattern: '^(https?|ftp)://', errorText: 'a proxy URL such as "http://proxy:3128"' };

const repo: JsonSchema = {
  description: 'An apt repository; `priority` pins every package of this repository (and only this one) at that apt priority.',
  type: 'object',
  required: ['name', 'uri', 'suite', 'section', 'priority'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$', errorText: 'letters, digits, ".", "_" and "-" (it names files in /etc/apt)' },
    type: { enum: ['deb'] },
    uri: { type: 'string', pattern: '^(https?|ftp|file|copy)://', errorText: 'a repository URL such as "http://deb.debian.org/debian"' },
    suite: { type: 'string', minLength: 1 },
    section: { description: 'Components separated by spaces ("main contrib"); empty for a flat repository.', type: 'string' },
    priority: { description: 'apt pin priority (integer), or null for apt\'s default.', type: ['integer', 'null'] },
  },
};

const fuelProxies: JsonSchema = {
  description: 'Proxies for every fetch of the build; hosts in direct_repo_addr_list are fetched without them.',
  type: 'object',
  additionalProperties: false,
  properties: {
    protocols: { type: 'object', additionalProperties: false, properties: { http: PROXY, https: PROXY, ftp: PROXY } },
    direct_repo_addr_list: { type: 'array', items: { type: 'string', minLength: 1 } },
  },
};

const kilnProxies: JsonSchema = {
  description: 'Proxies for every fetch of the build; hosts in `direct` are fetched without them.',
  type: 'object',
  additionalProperties: false,
  properties: { http: PROXY, https: PROXY, ftp: PROXY, direct: { type: 'array', items: { type: 'string', minLength: 1 } } },
};

const HASH = { type: 'string', pattern: '^\\$[0-9a-z]+\\$', errorText: 'a crypt(3) hash such as "$6$salt$..." (make one with: openssl passwd -6)' };
const mountMap = (image: JsonSchema): JsonSchema => ({
  type: 'object', minProperties: 1, propertyNames: MOUNT_POINT, additionalProperties: image,
});

const kilnImage: JsonSchema = {
  type: 'object',
  required: ['file', 'format'],
  additionalProperties: false,
  properties: {
    file: { description: 'Where the image (in its container) is written; its folder is created.', type: 'string', minLength: 1 },
    format: { enum: [...FS_FORMATS] },
    container: { description: 'Default gzip.', enum: [...CONTAINERS] },
  },
};

let kilnSchema: JsonSchema | undefined;
let fuelSchemaObject: JsonSchema | undefined;

/** kiln's own build spec (one object: validators are compiled once per schema). */
export function kilnSpecSchema(): JsonSchema {
  return (kilnSchema ??= buildKilnSpecSchema());
}

/** Fuel's image build document, as its build script took it. */
export function fuelSchema(): JsonSchema {
  return (fuelSchemaObject ??= buildFuelSchema());
}

function buildKilnSpecSchema(): JsonSchema {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'kiln build spec',
    description: 'What to build, as one document: `kiln-build-image SPEC` or `disk-image-create --spec FILE`. The options are those of the command line (lib/config/fields.ts).',
    type: 'object',
    required: ['flavours'],
    additionalProperties: false,
    properties: {
      $schema: { type: 'string' },
      kind: { description: 'disk (default): disk images and trees; ramdisk: kernel + initramfs.', enum: ['disk', 'ramdisk'] },
      flavours: { description: 'Flavours to mix, an operating-system flavour among them.', type: 'array', minItems: 1, items: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.+-]*$', errorText: 'a flavour name' } },
      ...optionSchemas(),
      environment: {
        description: 'Variables for the hooks (DIB_RELEASE, ...); they win over the caller\'s environment. Variables an option reads (DIB_IMAGE_SIZE, ...) are checked as that option.',
        type: 'object',
        propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$', errorText: 'a variable name (letters, digits, "_")' },
        additionalProperties: { type: ['string', 'number', 'boolean'] },
      },
      blockDevice: { description: 'diskimage-builder block-device config (the YAML list, as data, or its text): DIB_BLOCK_DEVICE_CONFIG.', type: ['array', 'object', 'string'] },
      repos: { description: 'The image\'s apt repositories, replacing the OS flavour\'s; the first is the bootstrap mirror.', type: 'array', minItems: 1, items: { $ref: '#/definitions/repo' } },
      proxies: kilnProxies,
      allowUnsignedRepos: { description: 'Accept repositories without a valid signature during the build (Fuel did).', type: 'boolean' },
      rootPassword: { description: 'Root\'s password in clear text (never shown in plans or logs).', type: 'string', minLength: 1 },
      hashedRootPassword: { description: 'Root\'s password as a crypt(3) hash.', ...HASH },
      filesystemImages: { description: 'One filesystem image per mount point instead of a disk image (\'/\' required).', ...mountMap(kilnImage) },
      metadataFile: { description: 'Where the images\' metadata YAML goes (default: beside the / image, named after it up to its first dot).', type: 'string', minLength: 1 },
    },
    definitions: { repo },
  };
}

const fuelImage: JsonSchema = {
  type: 'object',
  required: ['uri', 'format', 'container'],
  additionalProperties: false,
  properties: {
    uri: {
      description: 'Where the image will be served from; its basename names the file in `output`.',
      type: 'string', pattern: '^[a-z][a-z0-9+.-]*://[^?#]*[^/?#]$', errorText: 'a URI ending with a file name, e.g. "http://host/images/root.img.gz"',
    },
    format: { enum: [...FS_FORMATS] },
    container: { enum: [...CONTAINERS] },
  },
};

function buildFuelSchema(): JsonSchema {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'Fuel image build document',
    description: 'Fuel\'s image-based provisioning build: one filesystem image per mount point, apt repositories with priorities, the codename and the output folder.',
    type: 'object',
    required: ['image_data', 'output', 'repos', 'codename'],
    additionalProperties: false,
    properties: {
      image_data: { description: 'One image per mount point; \'/\' is required.', ...mountMap(fuelImage) },
      output: { description: 'Folder the images and the metadata file are written to.', type: 'string', minLength: 1 },
      repos: { description: 'apt repositories; the first is the bootstrap mirror.', type: 'array', minItems: 1, items: { $ref: '#/definitions/repo' } },
      codename: { description: 'Release codename, e.g. bookworm.', type: 'string', pattern: '^[a-z][a-z0-9.+-]*$', errorText: 'a release codename such as "bookworm"' },
      packages: { description: 'Packages installed on top of the base system.', type: 'array', items: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9+.:=~_-]*$', errorText: 'a package name' } },
      proxies: fuelProxies,
      root_password: { description: 'Root\'s password in clear text (never shown in plans or logs).', type: 'string', minLength: 1 },
      hashed_root_password: { description: 'Root\'s password as a crypt(3) hash.', ...HASH },
    },
    definitions: { repo },
  };
}
