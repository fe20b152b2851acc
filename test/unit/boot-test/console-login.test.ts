// loginAndRun against a scripted getty and login in front of a real bash, with the terminal's
// echo of every typed line: the echoed command lines must never be taken for their output.
import { spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { loginAndRun } from '../../../lib/boot-test/console-login.js';
import { SerialConsole } from '../../../lib/boot-test/serial-console.js';

/** A console whose getty prints a login prompt, accepts `password` and then hands the line to bash. */
function fakeConsole(password: string): { serial: SerialConsole; done: () => void } {
  const input = new PassThrough();
  const serial = new SerialConsole(input);
  const shell = spawn('bash', ['--norc', '-i'], { stdio: ['pipe', 'pipe', 'pipe'], env: { PS1: 'root@debian:~# ', PATH: process.env.PATH ?? '/usr/bin:/bin' } });
  shell.stdout.on('data', (d: Buffer) => serial.feed(d.toString().replace(/\n/g, '\r\n')));
  shell.stderr.on('data', (d: Buffer) => serial.feed(d.toString().replace(/\n/g, '\r\n')));
  let state: 'user' | 'password' | 'shell' | 'refused' = 'user';
  input.on('data', (d: Buffer) => {
    for (const line of d.toString().split(/(?<=\n)/)) {
      if (state === 'user') {
        serial.feed(`${line.trim()}\r\nPassword: `);
        state = 'password';
      } else if (state === 'password') {
        state = line.trim() === password ? 'shell' : 'refused';
        serial.feed(state === 'shell' ? '\r\nLinux debian 6.1.0\r\n' : '\r\nLogin incorrect\r\ndebian login: ');
        if (state === 'shell') shell.stdin.write('\n');
      } else if (state === 'shell') {
        serial.feed(line.replace(/\n/g, '\r\n'));
        shell.stdin.write(line);
      }
    }
  });
  serial.feed('[   3.2] systemd[1]: Started getty@ttyS0.service\r\n\r\nDebian GNU/Linux 12 debian ttyS0\r\n\r\ndebian login: ');
  return { serial, done: () => shell.kill() };
}

describe('loginAndRun', () => {
  it('logs in and returns each command\'s output and exit status, never the echoed command line', async () => {
    const { serial, done } = fakeConsole('secret');
    try {
      const results = await loginAndRun(serial, { user: 'root', password: 'secret', commands: ['echo one; echo two', 'printf "%s\\n" KILN-1-END; false', 'true'], timeoutMs: 10_000 });
      expect(results).toEqual([
        { command: 'echo one; echo two', output: 'one\ntwo', status: 0 },
        { command: 'printf "%s\\n" KILN-1-END; false', output: 'KILN-1-END', status: 1 },
        { command: 'true', output: '', status: 0 },
      ]);
    } finally {
      done();
    }
  });

  it('fails with the console\'s last lines when the password is refused', async () => {
    const { serial, done } = fakeConsole('secret');
    try {
      await expect(loginAndRun(serial, { user: 'root', password: 'wrong', commands: ['true'], timeoutMs: 10_000 })).rejects.toThrow(/console login as root was refused/);
    } finally {
      done();
    }
  });

  it('a wait that never matches fails after its timeout, quoting the console', async () => {
    const serial = new SerialConsole(new PassThrough());
    serial.feed('booting\r\n');
    const error = await serial.waitFor(/login: /, 0, 50).catch((e: unknown) => e as Error & { details?: () => string[] });
    expect(error.message).toMatch(/no "login: " on the console after 0.05 s/);
    expect(error.details?.()).toEqual(['last lines of the console:', '  | booting']);
  });
});
