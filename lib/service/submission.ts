// A submission: what a web form, kiln-submit or an AMQP message hands the service. One JSON
// schema checks its shape (Fastify validates HTTP bodies with it, workers validate bare AMQP
// messages with it); normaliseSubmission() fills in defaults and IMG's field names.
import { randomUUID } from 'node:crypto';
import { UsageError } from '../errors.js';
import { parseArch } from '../config/values.js';
import { parseOutputTypes } from '../outputs/registry.js';
import type { JobSpec } from './job.js';
import { specJob } from './spec-job.js';

/** A job or file name: safe as a file name and in a URL. */
const NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$';
const FLAVOUR_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$';
const PACKAGE_PATTERN = '^[a-z0-9][a-z0-9+.:=~-]{0,99}$';

/** The JSON schema of a submission (HTTP body and AMQP job message alike). */
export const SUBMISSION_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    id: { type: 'string', format: 'uuid', description: 'job id (AMQP messages carry their own; HTTP submissions get one)' },
    name: { type: 'string', pattern: NAME_PATTERN, description: 'image name: files are NAME.EXT' },
    email: { type: 'string', format: 'email', maxLength: 254, description: "submitter's address" },
    arch: { type: 'string', maxLength: 16, description: 'architecture (amd64, arm64, ...)' },
    release: { type: 'string', pattern: '^[A-Za-z0-9._-]{0,32}$', description: 'release (DIB_RELEASE), e.g. bookworm' },
    types: { type: 'array', items: { type: 'string', maxLength: 16 }, minItems: 1, maxItems: 8, description: 'output formats' },
    imagetype: { type: 'string', maxLength: 100, description: "IMG's name for the output formats (comma-separated)" },
    type: { type: 'string', maxLength: 100, description: 'alias of imagetype' },
    flavours: {
      anyOf: [
        { type: 'array', items: { type: 'string', pattern: FLAVOUR_PATTERN }, minItems: 1, maxItems: 100 },
        { type: 'string', maxLength: 2000 },
      ],
      description: 'flavours to mix (a list, or one string separated by spaces or commas)',
    },
    skipBase: { type: 'boolean', description: 'leave out the base flavour (-n)' },
    packages: { type: 'array', items: { type: 'string', pattern: PACKAGE_PATTERN }, maxItems: 500, description: 'extra packages' },
    environment: {
      type: 'object',
      propertyNames: { pattern: '^DIB_[A-Z0-9_]{1,64}$' },
      additionalProperties: { type: 'string', maxLength: 8192 },
      maxProperties: 100,
      description: 'DIB_* variables for the build',
    },
    spec: { type: 'object', description: "kiln's JSON build spec" },
    ksfile: { type: 'string', maxLength: 1048576, description: "IMG's name: the build spec as JSON text" },
    upload: { type: 'string', pattern: '^[A-Za-z0-9+/=\\s]*$', description: 'extra flavours: a tar.gz, base64-encoded' },
  },
} as const;

/** A submission as the schema admits it. */
export interface Submission {
  id?: string;
  name: string;
  email?: string;
  arch?: string;
  release?: string;
  types?: string[];
  imagetype?: string;
  type?: string;
  flavours?: string[] | string;
  packages?: string[];
  skipBase?: boolean;
  environment?: Record<string, string>;
  spec?: Record<string, unknown>;
  ksfile?: string;
  upload?: string;
}

/** A bad submission: names the field (JSON path) and what is wrong with it. */
export class FieldError extends UsageError {
  constructor(readonly field: string, message: string, hint?: string) {
    super(`${field}: ${message}`, hint);
  }
}

/** Variables that make a build read host files: a submission may not set them. */
const HOST_PATH_VARIABLES = ['DIB_IMAGE_CACHE', 'DIB_LOCAL_IMAGE', 'DIB_APT_SOURCES', 'DIB_YUM_REPO_CONF', 'DIB_DEV_USER_AUTHORIZED_KEYS'];

/** Refuses variables that would make a build read host files (`prefix` names the field). */
export function checkEnvironment(environment: Record<string, unknown>, prefix = 'environment'): void {
  for (const [key, raw] of Object.entries(environment)) {
    const value = String(raw);
    if (HOST_PATH_VARIABLES.includes(key)) {
      throw new FieldError(`${prefix}.${key}`, 'names a file on the build host, which a submission may not do', 'ask the service administrator to put what you need in a flavour');
    }
    if (/^\s*file:/i.test(value)) throw new FieldError(`${prefix}.${key}`, 'a submission may not point at files on the build host (file:)');
    if (value.includes('\0')) throw new FieldError(`${prefix}.${key}`, 'contains a NUL character');
  }
}

function flavourList(flavours: string[] | string | undefined): string[] {
  if (flavours === undefined) return [];
  const list = Array.isArray(flavours) ? flavours : flavours.split(/[\s,]+/).filter(Boolean);
  for (const [index, name] of list.entries()) {
    if (!new RegExp(FLAVOUR_PATTERN).test(name)) throw new FieldError(`flavours[${index}]`, `"${name}" is not a flavour name`, 'a flavour is named by letters, digits, ".", "_" and "-", never by a path');
  }
  return list;
}

function specOf(submission: Submission): Record<string, unknown> | undefined {
  if (submission.spec) return submission.spec;
  if (submission.ksfile === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(submission.ksfile);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // Reported below.
  }
  throw new FieldError('ksfile', 'is not a JSON object (kiln carries its build spec there as JSON text)');
}

/** The output types the submission gives (types, imagetype or type), if any. */
function givenTypes(submission: Submission): string[] | undefined {
  const field = submission.types ? 'types' : submission.imagetype !== undefined ? 'imagetype' : 'type';
  const text = submission.types?.join(',') ?? submission.imagetype ?? submission.type;
  if (text === undefined) return undefined;
  try {
    return parseOutputTypes(text);
  } catch (error) {
    throw new FieldError(field, error instanceof Error ? error.message.replace(/^-t /, '') : String(error));
  }
}

function arch(value: string | undefined): string {
  try {
    return parseArch(value ?? 'amd64');
  } catch (error) {
    throw new FieldError('arch', error instanceof Error ? error.message.replace(/ for -a$/, '') : String(error));
  }
}

/** Fills in defaults and checks what the schema cannot; throws FieldError. */
export function normaliseSubmission(submission: Submission, defaults: { email: string }): JobSpec {
  const spec = specOf(submission);
  const flavours = flavourList(submission.flavours);
  const environment = submission.environment ?? {};
  checkEnvironment(environment);
  const common = {
    id: submission.id ?? randomUUID(),
    name: submission.name,
    email: submission.email ?? defaults.email,
    ...(submission.upload ? { upload: submission.upload.replace(/\s+/g, '') } : {}),
  };
  if (spec) {
    const types = givenTypes(submission);
    const job = specJob(spec, {
      ...(flavours.length ? { flavours } : {}), ...(types ? { types } : {}), ...(submission.arch ? { arch: arch(submission.arch) } : {}),
      ...(submission.release ? { release: submission.release } : {}), ...(submission.packages ? { packages: submission.packages } : {}),
      ...(submission.skipBase !== undefined ? { skipBase: submission.skipBase } : {}), environment,
    });
    return { ...common, ...job, environment: {} };
  }
  if (flavours.length === 0) throw new FieldError('flavours', 'no flavours given', 'name at least an operating-system flavour, or submit a build spec in "spec"');
  return {
    ...common,
    arch: arch(submission.arch),
    release: submission.release ?? '',
    types: givenTypes(submission) ?? ['qcow2'],
    flavours,
    packages: submission.packages ?? [],
    skipBase: submission.skipBase ?? false,
    environment,
  };
}
