// The running build VM as a resource: QEMU started through run() (its console lines go to the
// build log as `vm-console`), under `setpriv --pdeathsig SIGKILL` so that the kernel kills it if
// kiln itself is killed outright, with KILN_VM_FOLDER in its environment so that the next kiln
// command recognises it as a leftover of a dead build. Releasing it kills QEMU and waits for
// it to be gone (it holds the overlay open).
import { closeSync, existsSync, openSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { KilnError } from '../errors.js';
import { run, type RunResult } from '../exec/run.js';
import { LineTail, type LogSink } from '../log.js';
import type { ResourceStack } from '../resources/disposable-stack.js';
import { Channel } from './channel.js';
import { machineCommand, type MachineSpec } from './machine.js';
import type { GuestMessage, HostMessage } from './protocol.js';

/** A started build VM. */
export interface RunningMachine {
  channel: Channel<GuestMessage, HostMessage>;
  /** Settles when QEMU has exited: how it ended. */
  exited: Promise<string>;
  /** True once QEMU is gone. */
  isGone: () => boolean;
  /** The last lines of the serial console. */
  consoleTail: () => string[];
}

/** The environment variable that ties a QEMU process to its kiln temp folder (leftovers). */
const VM_FOLDER_VARIABLE = 'KILN_VM_FOLDER';

/** Starts QEMU for `spec` in `dir` (its working folder) and connects to the agent channel. */
export async function startMachine(stack: ResourceStack, spec: MachineSpec, dir: string, log: LogSink): Promise<RunningMachine> {
  const kill = new AbortController();
  const tail = new LineTail(40);
  let gone = false;
  const exited = run(['setpriv', '--pdeathsig', 'SIGKILL', '--', ...machineCommand(spec)], {
    cwd: dir, env: { [VM_FOLDER_VARIABLE]: dir }, label: 'vm-console', log, signal: kill.signal, killAfterMs: 5000,
    allowFailure: true, captureStdout: false, onLine: (line) => tail.push(line),
  }).then(describeEnd, (error: unknown) => (error === kill.signal.reason ? 'stopped by kiln' : String(error)))
    .finally(() => (gone = true));
  stack.defer('stop the build VM', async () => {
    if (!gone) kill.abort(new Error('stopped by kiln'));
    await exited;
  });
  const socket = await connectAgent(dir, spec.agentSocket, () => gone);
  stack.defer('close the agent channel', () => void socket.destroy());
  const channel = new Channel<GuestMessage, HostMessage>(socket, socket, (line) => log.line('vm-agent', line));
  return { channel, exited, isGone: () => gone, consoleTail: () => tail.toArray() };
}

function describeEnd(result: RunResult): string {
  return result.signal ? `qemu was killed with ${result.signal}` : `qemu exited with code ${String(result.exitCode)}`;
}

/**
 * Connects to QEMU's agent socket as soon as QEMU has made it. The socket's absolute path may be
 * longer than a unix socket address allows (108 bytes), so it is reached through a descriptor of
 * its folder: /proc/self/fd/N/agent.sock.
 */
async function connectAgent(dir: string, name: string, gone: () => boolean): Promise<Socket> {
  const deadline = Date.now() + 30_000;
  while (!existsSync(join(dir, name))) {
    if (gone()) throw new KilnError('qemu stopped before it opened the agent channel', { hint: 'see the vm-console lines of the build log' });
    if (Date.now() > deadline) throw new KilnError('qemu did not open the agent channel within 30 s');
    await sleep(50);
  }
  const fd = openSync(dir, 'r');
  try {
    return await new Promise<Socket>((resolve, reject) => {
      const socket = connect({ path: `/proc/self/fd/${fd}/${name}` });
      socket.once('connect', () => resolve(socket));
      socket.once('error', reject);
    });
  } finally {
    closeSync(fd);
  }
}
