// Container image names (`--docker-target NAME:TAG`), checked against the grammar Docker and the
// OCI tools accept (distribution/reference): lower-case path components separated by `/`, an
// optional registry host (with a port) first, and a tag of at most 128 word characters, dots and
// dashes. Pure. A name without a tag gets `latest`, as `docker tag` does.
import { basename } from 'node:path';
import { UsageError } from '../errors.js';

/** A validated image reference. */
export interface ImageReference {
  /** Repository as given (`kiln-builder`, `registry.example.com:5000/team/app`). */
  repository: string;
  tag: string;
  /** `repository:tag`, what `docker images` lists and docker archives record in RepoTags. */
  familiar: string;
  /** With Docker's implicit registry and namespace (`docker.io/library/kiln-builder:latest`). */
  canonical: string;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?$/;
const HINT = 'use NAME:TAG with lower-case letters, digits and . _ - in NAME (e.g. kiln-builder:1.0 or registry.example.com/team/app:latest)';

/** Docker treats the first component as a registry when it has a dot or a port, or is localhost. */
function isRegistry(component: string): boolean {
  return component.includes('.') || component.includes(':') || component === 'localhost' || component !== component.toLowerCase();
}

function splitTag(text: string): { repository: string; tag: string | undefined } {
  const slash = text.lastIndexOf('/');
  const colon = text.lastIndexOf(':');
  // A colon before the last slash belongs to the registry's port, not to a tag.
  if (colon > slash) return { repository: text.slice(0, colon), tag: text.slice(colon + 1) };
  return { repository: text, tag: undefined };
}

function checkRepository(repository: string, text: string, option: string): void {
  const parts = repository.split('/');
  const path = parts.length > 1 && isRegistry(parts[0]!) ? parts.slice(1) : parts;
  if (path.length < parts.length && !HOST.test(parts[0]!)) {
    throw new UsageError(`${option} "${text}": "${parts[0]!}" is not a registry host name`, HINT);
  }
  const bad = path.find((p) => !COMPONENT.test(p));
  if (bad !== undefined || repository.length > 255) {
    const what = bad === undefined ? 'is longer than 255 characters' : `has the invalid component "${bad}"`;
    throw new UsageError(`${option} "${text}" is not a valid image name: the repository ${what}`, HINT);
  }
}

/** Parses `NAME[:TAG]` (no digest: kiln names what it writes); errors say what is wrong. */
export function parseImageReference(text: string, option = '--docker-target'): ImageReference {
  if (text.includes('@')) throw new UsageError(`${option} "${text}": a digest cannot be chosen, it is computed from the image`, HINT);
  const { repository, tag = 'latest' } = splitTag(text.trim());
  if (!repository) throw new UsageError(`${option} "${text}" has no image name`, HINT);
  checkRepository(repository, text, option);
  if (!TAG.test(tag)) throw new UsageError(`${option} "${text}": the tag "${tag}" is not valid (letters, digits, _ . -, at most 128, not starting with . or -)`, HINT);
  return { repository, tag, familiar: `${repository}:${tag}`, canonical: `${canonicalRepository(repository)}:${tag}` };
}

/** Docker's full name of a repository: docker.io and library/ are implied. */
function canonicalRepository(repository: string): string {
  const parts = repository.split('/');
  if (parts.length > 1 && isRegistry(parts[0]!)) return repository;
  return parts.length === 1 ? `docker.io/library/${repository}` : `docker.io/${repository}`;
}

/** The reference used when --docker-target is not given: the output's base name, tag latest. */
export function defaultImageReference(imageName: string): ImageReference {
  const name = basename(imageName);
  try {
    return parseImageReference(name);
  } catch {
    throw new UsageError(`the output name "${name}" is not a valid container image name, so the image needs --docker-target`, HINT);
  }
}
