// sudoers.d/kiln is a file sudo accepts: visudo, the real parser, checks it (test/lint checks
// that it is what lib/exec/privileged.ts renders).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { requireHostProgram } from '../helpers/host.js';

describe('sudoers.d/kiln', () => {
  it('passes visudo -c -f', () => {
    const visudo = requireHostProgram(existsSync('/usr/sbin/visudo') && '/usr/sbin/visudo', '/usr/sbin/visudo', 'sudo');
    expect(execFileSync(visudo, ['-c', '-f', join(import.meta.dirname, '../../sudoers.d/kiln')]).toString()).toContain('parsed OK');
  });
});
