// The service configuration: IMG's file, the environment and flags, in that order.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { join } from 'node:path';
import { main as kilnServer } from '../../../lib/cli/kiln-server.js';
import { amqpUrlFromParts, fieldsFor, loadServiceConfig, ConfigErrors } from '../../../lib/service/config.js';
import { parseConfigText } from '../../../lib/service/config-file.js';
import { captureStdio } from '../../helpers/stdio.js';
import { tempDir, writeTree } from '../../helpers/tree.js';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => (tmp = tempDir()));
afterEach(() => tmp.cleanup());

describe('service configuration', () => {
  it('reads the file, then the environment, then flags', () => {
    writeTree(tmp.path, {
      'img.conf': '# IMG style\n[build]\nbase_dir = /srv/images\nbase_url: "http://img.example.com/images/"\nnum_workers = 3\nuse_kvm = no\nmic_opts = --checksum,--no-tmpfs\namqp_host = mq.example.com\namqp_user = img\namqp_pwd = p@ss\namqp_vhost = boss\n[tokens]\nalice = t-alice\n',
    });
    const file = join(tmp.path, 'img.conf');
    const config = loadServiceConfig({ workers: '2' }, { KILN_BASE_DIR: '/env/images', KILN_TOKENS: 'bob:t-bob', HOME: tmp.path }, file);
    expect(config.baseDir).toBe('/env/images');
    expect(config.baseUrl).toBe('http://img.example.com/images');
    expect(config.workers).toBe(2);
    expect(config.kilnOpts).toEqual(['--checksum', '--no-tmpfs']);
    expect(config.amqpUrl).toBe('amqp://img:p%40ss@mq.example.com/boss');
    expect([...config.tokens]).toEqual([['t-alice', 'alice'], ['t-bob', 'bob']]);
    expect(config.host).toBe('127.0.0.1');
    expect(config.configFile).toBe(file);
  });

  it('derives the defaults from the state folder and the address', () => {
    const config = loadServiceConfig({ state_dir: tmp.path, port: '9000' }, {});
    expect(config.baseDir).toBe(join(tmp.path, 'images'));
    expect(config.imageCache).toBe(join(tmp.path, 'cache'));
    expect(config.baseUrl).toBe('http://127.0.0.1:9000/files');
    expect(config.workers).toBe(1);
    expect(loadServiceConfig({ amqp: 'amqp://mq' }, {}).workers).toBe(0);
  });

  it('reports every problem at once, with where it is', () => {
    writeTree(tmp.path, { 'bad.conf': 'base_dri = /x\nworkers = many\n' });
    try {
      loadServiceConfig({ port: 'x' }, { KILN_PUBLIC_READ: 'maybe' }, join(tmp.path, 'bad.conf'));
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigErrors);
      const problems = (error as ConfigErrors).problems.join('\n');
      expect(problems).toContain('bad.conf:1: unknown setting "base_dri" (did you mean "base_dir" or "base_url"?)');
      expect(problems).toContain('bad.conf:2: workers: expected a whole number');
      expect(problems).toContain('$KILN_PUBLIC_READ: expected yes or no, got "maybe"');
      expect(problems).toContain('--port: expected a whole number');
    }
  });

  it('parses INI lines and refuses what is not one', () => {
    expect(parseConfigText('[a]\nk = v # not a comment\n; c\n', 'f')).toEqual([{ key: 'k', value: 'v # not a comment', section: 'a', line: 2 }]);
    expect(() => parseConfigText('just words\n', 'f')).toThrow('f: line 1: expected "key = value"');
  });

  it("joins IMG's broker settings into a URL", () => {
    expect(amqpUrlFromParts({ host: 'h' })).toBe('amqp://h');
    expect(amqpUrlFromParts({})).toBeUndefined();
  });
});

describe('kiln-server --help', () => {
  it('lists every setting with its flag, file key, variable and default, and the precedence', async () => {
    const printed = captureStdio();
    let code: number;
    try {
      code = await kilnServer(['--help']);
    } finally {
      vi.restoreAllMocks();
    }
    expect(code).toBe(0);
    const help = printed.stdout.replace(/\s+/g, ' ');
    const fields = fieldsFor('server');
    expect(fields.length).toBeGreaterThan(20);
    for (const field of fields) {
      if (field.flag) expect(help).toContain(`${field.flag.split(' ')[0]} `);
      if (field.flag) expect(help).toContain(`[file: ${[field.key, ...(field.aliases ?? [])].join(' or ')}; env: ${field.env}`);
      else if (field.help) expect(help).toContain(`${field.key} `);
      if (field.defaultText) expect(help).toContain(`default: ${field.defaultText.replace(/\s+/g, ' ')}]`);
    }
    expect(help).toContain('[file: base_dir; env: KILN_BASE_DIR; default:');
    expect(help).toContain('Precedence: the configuration file, then environment variables, then flags');
  });
});
