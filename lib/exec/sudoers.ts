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
# These programs can change the whole machine (mount, chroot, rm): only trusted users belong in
# group kiln, exactly as with diskimage-builder's sudo requirement.

Cmnd_Alias KILN_PROGRAMS = \\
${programs}
# sudo resets the environment; these two only set the clock reproducible builds use.
Defaults:%kiln env_keep += "SOURCE_DATE_EPOCH E2FSPROGS_FAKE_TIME"
%kiln ALL = (root) NOPASSWD: KILN_PROGRAMS
`;
}
