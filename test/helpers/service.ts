// The build service in tests: a real kiln-server (or kiln-worker) process on 127.0.0.1, its
// address read from the line it prints, a client with a token, and waiting for job states.
import { spawn, type ChildProcess } from 'node:child_process';
import { bin, repo } from './host.js';
import { ServiceClient } from '../../lib/service/client.js';
import type { Job, JobStatus } from '../../lib/service/job.js';
import { hook, writeTree } from './tree.js';

/** A started kiln-server or kiln-worker. */
export interface ServiceProcess {
  child: ChildProcess;
  /** Everything it printed so far. */
  output(): string;
  /** Resolves with the exit code once it ended. */
  exited: Promise<number | null>;
  /** SIGTERM (graceful) and wait. */
  stop(): Promise<number | null>;
}

/** Every process started, so that a failed test still stops them (stopStarted in afterAll). */
const started = new Set<ChildProcess>();

/** Stops every kiln-server and kiln-worker a test started that still runs. */
export async function stopStarted(): Promise<void> {
  for (const child of started) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  }
  started.clear();
}

/** Starts a kiln command and waits until a line of its output matches `ready`. */
export async function startProcess(command: 'kiln-server' | 'kiln-worker', args: string[], env: Record<string, string>, ready: RegExp, timeoutMs = 120_000): Promise<ServiceProcess & { match: RegExpMatchArray }> {
  const child = spawn(bin(command), args, { cwd: repo, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  started.add(child);
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const match = await new Promise<RegExpMatchArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${command} did not start in time:\n${output}`)), timeoutMs);
    const onData = (data: Buffer): void => {
      output += data.toString();
      const found = ready.exec(output);
      if (found) {
        clearTimeout(timer);
        resolve(found);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((code) => reject(new Error(`${command} exited with ${code} before it was ready:\n${output}`)));
  });
  return {
    child, match, exited,
    output: () => output,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

/** A kiln-server on a free port, with user alice's token. */
export async function startServer(args: string[], env: Record<string, string> = {}): Promise<ServiceProcess & { url: string; client: ServiceClient }> {
  const server = await startProcess('kiln-server', ['--port', '0', ...args], { KILN_TOKENS: 'alice:t-alice', ...env }, /listening on (http:\/\/\S+)/);
  const url = server.match[1]!;
  return { ...server, url, client: new ServiceClient(url, 't-alice') };
}

/** Polls a job until it is in one of `statuses`. */
export async function waitForJob(client: ServiceClient, id: string, statuses: JobStatus[], timeoutMs = 300_000, what = ''): Promise<Job> {
  const deadline = Date.now() + timeoutMs;
  let job: Job | undefined;
  while (Date.now() < deadline) {
    job = await client.job(id).catch(() => undefined);
    if (job && statuses.includes(job.status)) return job;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`job ${id} ${what} did not reach ${statuses.join('/')} in time; last: ${JSON.stringify(job)}`);
}

/** Test flavours: a failing one, a slow one (in the chroot, so mounts are in place) and a host marker. */
export function writeServiceFlavours(dir: string): void {
  writeTree(dir, {
    'fails/README.md': 'fails on purpose\n',
    'fails/flavour-deps': 'fake-os\n',
    'fails/install.d/50-fails': hook('echo "the widget is broken" >&2\nexit 3'),
    'slow/README.md': 'sleeps in the chroot\n',
    'slow/flavour-deps': 'fake-os\n',
    // Always run: the cache must not hand back the result of an earlier test run.
    'slow/always-run': 'install.d/50-slow\n',
    'slow/install.d/50-slow': hook('echo "slow: sleeping ${DIB_SLOW_SECONDS:-300} s"\nsleep "${DIB_SLOW_SECONDS:-300}"\necho "slow: awake"'),
  });
}
