// A private RabbitMQ for tests, started and stopped by the test itself: its own node name, ports
// (found free on 127.0.0.1), data and log folders in the test's temp folder, listening on the
// loopback only. `rabbitmq-server -detached`, then `rabbitmqctl await_startup`; stopping is
// `rabbitmqctl stop PIDFILE` (it waits for the node to exit), then the epmd it started is ended
// when no other node uses it.
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A free TCP port on 127.0.0.1. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A test broker. */
export interface TestBroker {
  /** amqp://guest:guest@127.0.0.1:PORT (guest may log in from the loopback). */
  url: string;
  node: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Sets up (without starting) a broker whose data lives in `dir`. */
export async function testBroker(dir: string): Promise<TestBroker> {
  mkdirSync(dir, { recursive: true });
  // The broker runs as user rabbitmq: it must be able to reach its folder through the test's.
  chmodSync(dirname(dir), statSync(dirname(dir)).mode | 0o111);
  const { stdout } = await run('id', ['-u', 'rabbitmq']);
  const { stdout: gid } = await run('id', ['-g', 'rabbitmq']);
  chownSync(dir, Number(stdout), Number(gid));
  const [port, distPort] = [await freePort(), await freePort()];
  const node = `kilntest${process.pid}@localhost`;
  const env = {
    ...process.env,
    RABBITMQ_NODENAME: node,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_PID_FILE: join(dir, 'pid'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq'),
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
    ERL_EPMD_ADDRESS: '127.0.0.1',
  };
  const ctl = (...args: string[]): Promise<unknown> => run('rabbitmqctl', ['-n', node, ...args], { env, cwd: '/' });
  return {
    url: `amqp://guest:guest@127.0.0.1:${port}`,
    node,
    async start() {
      await run('rabbitmq-server', ['-detached'], { env, cwd: '/' });
      const deadline = Date.now() + 240_000;
      for (;;) {
        try {
          await ctl('await_startup', '--timeout', '10');
          return;
        } catch (error) {
          if (Date.now() > deadline) throw new Error(`RabbitMQ did not start: ${String(error)}`);
          await new Promise((r) => setTimeout(r, 1000));
        }
      }
    },
    async stop() {
      // With the pid file, stop returns once the node has exited: it has left epmd, and a start may follow.
      await ctl('stop', join(dir, 'pid')).catch(() => undefined);
      const names = await run('epmd', ['-names'], { env }).then((r) => r.stdout, () => '');
      if (!/^name /m.test(names)) await run('epmd', ['-kill'], { env }).catch(() => undefined);
    },
  };
}
