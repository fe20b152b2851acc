// Renders sudoers.d/kiln from the list of privileged programs (a lint test checks the file in
// the repository is exactly this rendering, so the two cannot drift apart).
import { PRIVILEGED_PROGRAMS } from './privileged.js';

/** The sudoers drop-in that lets members of group `kiln` build images without being root. */
export function renderSudoers(): string {
  const programs = Object.entries(PRIVILEGED_PROGRAMS)
    .map(([, p]) => `    ${p.path.padEnd(24)}`.trimEnd() + `, \\\n`)
    .join('')
    .replace(/, \\\n$/, '\n');
  return `# sudoers.d/kiln: the programs kiln runs through \`sudo -n\` when an ordinary user builds
# images. Generated from lib/exec/privileged.ts; install with:
#   sudo install -m 0440 sudoers.d/kiln /etc/sudoers.d/kiln && sudo visudo -c -f /etc/sudoers.d/kiln
#   sudo groupadd -f kiln && sudo usermod -aG kiln "$USER"
#
# THIS IS ROOT. Members of group kiln may run these programs as root with ANY arguments: mount
# over /etc, chroot into any tree, tar or cp over any file, rm anything. That is full control of
# the machine, exactly as diskimage-builder's passwordless sudo is; it is not least privilege.
# Put in group kiln only people you would give the root password. A user who must not be root
# builds with --vm instead: the build runs as root inside a throwaway VM and needs no sudo here.

Cmnd_Alias KILN_PROGRAMS = \\
${programs}
%kiln ALL = (root) NOPASSWD: KILN_PROGRAMS
`;
}
