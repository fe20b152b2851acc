// The names and shapes on RabbitMQ, IMG's where IMG had them: jobs go to exchange image_exchange
// with routing key `img` into the durable queue image_queue; workers report on exchange
// django_result_exchange (key `status` for IMG's status and result messages, `progress`, `log`
// and `worker` for kiln's live updates). image_queue is a quorum queue: after max_deliveries
// deliveries of one job (its workers died each time) RabbitMQ dead-letters it to
// image_dead_queue, where the server turns it into an ERROR. Cancellations reach every worker
// through the fanout exchange kiln_control. Declarations are idempotent; everyone makes them.
import type { Channel } from 'amqplib';

/** Exchange and routing key of job messages (IMG's). */
export const JOB_EXCHANGE = 'image_exchange';
export const JOB_ROUTING_KEY = 'img';
/** The durable queue jobs wait in (IMG's). */
export const JOB_QUEUE = 'image_queue';
/** Exchange of worker reports (IMG's result exchange). */
export const RESULT_EXCHANGE = 'django_result_exchange';
/** Routing keys of worker reports: `status` carries IMG's status and result messages. */
export const REPORT_KEYS = { started: 'status', finished: 'status', progress: 'progress', log: 'log', heartbeat: 'worker' } as const;
/** The server's own queue of worker reports. */
export const SERVER_QUEUE = 'kiln_server_queue';
/** Where jobs that killed their workers too often go. */
const DEAD_EXCHANGE = 'image_dead_exchange';
export const DEAD_QUEUE = 'image_dead_queue';
/** Cancellations and other messages to every worker. */
export const CONTROL_EXCHANGE = 'kiln_control';

/** The job queue's arguments: quorum queue, delivery limit, dead-lettering. */
export function jobQueueArguments(maxDeliveries: number): Record<string, unknown> {
  return { 'x-queue-type': 'quorum', 'x-delivery-limit': maxDeliveries - 1, 'x-dead-letter-exchange': DEAD_EXCHANGE };
}

/** Declares what workers and the server share; warns (once) if image_queue exists with other arguments. */
export async function declareJobTopology(open: () => Promise<Channel>, maxDeliveries: number, warn: (line: string) => void): Promise<void> {
  const channel = await open();
  try {
    await channel.assertExchange(JOB_EXCHANGE, 'direct', { durable: true });
    await channel.assertExchange(RESULT_EXCHANGE, 'direct', { durable: true });
    await channel.assertExchange(DEAD_EXCHANGE, 'fanout', { durable: true });
    await channel.assertExchange(CONTROL_EXCHANGE, 'fanout', { durable: true });
    await channel.assertQueue(DEAD_QUEUE, { durable: true });
    await channel.bindQueue(DEAD_QUEUE, DEAD_EXCHANGE, '');
  } finally {
    await channel.close().catch(() => undefined);
  }
  // A failed declaration closes its channel: the queue gets a channel of its own.
  const queueChannel = await open();
  try {
    await queueChannel.assertQueue(JOB_QUEUE, { durable: true, arguments: jobQueueArguments(maxDeliveries) });
  } catch (error) {
    if (!/PRECONDITION_FAILED/.test(String(error))) throw error;
    warn(`${JOB_QUEUE} exists with other arguments than max_deliveries = ${maxDeliveries} asks for; it is used as it is (delete it to change them)`);
    const check = await open();
    await check.checkQueue(JOB_QUEUE);
    await check.close().catch(() => undefined);
  } finally {
    await queueChannel.close().catch(() => undefined);
  }
  const bind = await open();
  await bind.bindQueue(JOB_QUEUE, JOB_EXCHANGE, JOB_ROUTING_KEY);
  await bind.close().catch(() => undefined);
}

/** Declares the server's report queue and its bindings. */
export async function declareServerQueue(channel: Channel): Promise<void> {
  await channel.assertQueue(SERVER_QUEUE, { durable: true });
  for (const key of new Set(Object.values(REPORT_KEYS))) await channel.bindQueue(SERVER_QUEUE, RESULT_EXCHANGE, key);
}
