import { describe, expect, it } from 'vitest';
import { thrown } from '../../helpers/errors.js';
import { ConfigError } from '../../../lib/errors.js';
import { mergeContainerConfigs, parseContainerConfig } from '../../../lib/flavours/container-config.js';

const parse = (text: string, flavour = 'app') => parseContainerConfig(flavour, `/f/${flavour}/container-config.yaml`, text);

const configError = (fn: () => unknown): string => thrown(fn, ConfigError).message;

describe('container-config.yaml', () => {
  it('reads every setting, normalising ports', () => {
    const { config } = parse(`
entrypoint: [/usr/bin/app, --serve]
cmd: [--port, 8080]
env: { APP_MODE: production, WORKERS: 4 }
labels: { org.opencontainers.image.title: app }
working-dir: /srv
user: app:app
exposed-ports: [8080, 53/udp]
volumes: [/data]
stop-signal: SIGINT
`);
    expect(config).toEqual({
      entrypoint: ['/usr/bin/app', '--serve'], cmd: ['--port', '8080'], env: { APP_MODE: 'production', WORKERS: '4' },
      labels: { 'org.opencontainers.image.title': 'app' }, workingDir: '/srv', user: 'app:app',
      exposedPorts: ['8080/tcp', '53/udp'], volumes: ['/data'], stopSignal: 'SIGINT',
    });
  });

  it('treats an empty file as no settings', () => {
    expect(parse('').config).toEqual({ env: {}, labels: {}, exposedPorts: [], volumes: [] });
  });

  it('names the file and the mistake', () => {
    expect(configError(() => parse('entrypoint: /usr/bin/app --serve'))).toMatch(/^\/f\/app\/container-config.yaml: entrypoint must be a list \(exec form\)/);
    expect(configError(() => parse('entrypint: [/x]'))).toMatch(/unknown key "entrypint"/);
    expect(configError(() => parse('env: { 1BAD: x }'))).toMatch(/"1BAD" is not a valid variable name/);
    expect(configError(() => parse('working-dir: srv'))).toMatch(/working-dir must be an absolute path/);
    expect(configError(() => parse('exposed-ports: [70000]'))).toMatch(/"70000" is not PORT/);
    expect(configError(() => parse('labels: [a, b]'))).toMatch(/labels must map names to values/);
    expect(configError(() => parse('entrypoint: [unclosed'))).toMatch(/not valid YAML/);
  });

  it('joins maps and lists of several flavours', () => {
    const merged = mergeContainerConfigs([
      parse('labels: { a: "1" }\nenv: { X: "1" }\nexposed-ports: [80]', 'one'),
      parse('labels: { b: "2" }\nenv: { X: "1" }\nexposed-ports: [443, 80]\nentrypoint: [/app]', 'two'),
    ]);
    expect(merged).toMatchObject({ labels: { a: '1', b: '2' }, env: { X: '1' }, exposedPorts: ['443/tcp', '80/tcp'], entrypoint: ['/app'] });
  });

  it('refuses two flavours giving one setting different values, naming both', () => {
    const message = configError(() => mergeContainerConfigs([parse('working-dir: /a', 'one'), parse('working-dir: /b', 'two')]));
    expect(message).toMatch(/working-dir is set to "\/a" by flavour one \(\/f\/one\/container-config.yaml\) and to "\/b" by flavour two/);
    expect(configError(() => mergeContainerConfigs([parse('labels: { a: x }', 'one'), parse('labels: { a: y }', 'two')]))).toMatch(/label a is set/);
    // The same value twice is no conflict.
    expect(mergeContainerConfigs([parse('user: app', 'one'), parse('user: app', 'two')]).user).toBe('app');
  });
});
