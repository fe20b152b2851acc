// kiln-server: the build service. An HTTP API and web page, a job store, and workers that run
// builds as child processes; with --amqp, workers on other machines take jobs from RabbitMQ.
import { mkdirSync } from 'node:fs';
import { adminToken } from '../service/admin-token.js';
import { redactUrl } from '../service/queue/amqp-connection.js';
import { startService } from '../service/service.js';
import { runCommand } from './main.js';
import { parseServiceCommand, untilAborted } from './service-command.js';

const DESCRIPTION = 'The kiln build service: submit builds from a web page, kiln-submit or AMQP; workers build them; results are published with image and log URLs.';

const EXAMPLES = `
Examples:
  kiln-server                                       one machine: API, page and 1 worker on http://127.0.0.1:8080
  kiln-server --workers 2 --base-dir /srv/images --base-url https://images.example.com
  kiln-server --amqp amqp://kiln:secret@mq.example.com/kiln --host 0.0.0.0
                                                    workers on other machines (kiln-worker --amqp ...)
`;

/** Entry point of kiln-server; resolves to the exit code once it was stopped. */
export function main(argv: string[]): Promise<number> {
  return runCommand('kiln-server', argv, async (interrupts) => {
    const { config, baseUrlGiven, log } = parseServiceCommand('kiln-server', DESCRIPTION, EXAMPLES, argv);
    mkdirSync(config.stateDir, { recursive: true });
    if (config.tokens.size === 0) {
      const admin = adminToken(config.stateDir);
      config.tokens.set(admin.token, 'admin');
      log(`no tokens configured: user "admin" has the token in ${admin.file}`);
    }
    const service = await startService(config, log, { baseUrlGiven });
    const queue = config.amqpUrl ? `RabbitMQ at ${redactUrl(config.amqpUrl)}` : 'the embedded queue';
    log(`listening on ${service.url} (${config.workers} worker${config.workers === 1 ? '' : 's'} here, ${queue}); files in ${config.baseDir} at ${config.baseUrl}/`);
    await untilAborted(interrupts.signal);
    log('stopping: running builds clean up and go back to the queue');
    await service.close();
    return 0;
  });
}
