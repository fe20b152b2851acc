// /init assembly: base, then fragments in the given (hook) order, each in a subshell with a
// comment naming its flavour, then the end.
import { describe, expect, it } from 'vitest';
import { assembleInit } from '../../../lib/ramdisk/init-script.js';

describe('assembleInit', () => {
  const init = assembleInit([
    { flavour: 'deploy', name: 'init.d/40-deploy-network', text: '#!/bin/sh\nkiln_network_up\n' },
    { flavour: "o'brien", name: 'init', text: 'echo two' },
  ]);

  it('starts with the base and ends with the end', () => {
    expect(init.startsWith('#!/bin/sh\n')).toBe(true);
    expect(init).toContain('busybox mount -t proc');
    expect(init.indexOf('kiln_coldplug\n')).toBeLessThan(init.indexOf('# ---- init fragment'));
    expect(init.trimEnd().endsWith('done')).toBe(true);
    expect(init.indexOf('# ---- end of /init (kiln) ----')).toBeGreaterThan(init.indexOf('echo two'));
  });

  it('keeps the fragment order and names each fragment', () => {
    const first = init.indexOf('# ---- init fragment from flavour deploy init.d/40-deploy-network ----');
    const second = init.indexOf("# ---- init fragment from flavour o'brien init ----");
    expect(first).toBeGreaterThan(0);
    expect(second).toBeGreaterThan(first);
    expect(init).toContain("kiln_fragment_failed 'o'\\''brien' 'init' \"$kiln_status\"");
  });

  it('runs each fragment in a subshell, and skips it after an earlier failure', () => {
    expect(init).toContain('if [ ! -s /run/kiln/failed ]; then\n(\n#!/bin/sh\nkiln_network_up\n)\n');
    expect(init).toContain('(\necho two\n)\n');
  });

  it('has no template leftovers', () => {
    expect(init).not.toMatch(/\\\$\{|undefined/);
    expect(init).toContain('${kiln_word#*=}');
  });

  it('is the base and end alone without fragments', () => {
    expect(assembleInit([])).not.toContain('# ---- init fragment');
  });
});
