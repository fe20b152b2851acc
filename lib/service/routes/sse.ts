// Server-sent events: a response that stays open and carries `event:`/`data:` records, with a
// comment every 15 s so that proxies keep it open. The caller unsubscribes in onClose.
import type { FastifyReply, FastifyRequest } from 'fastify';

/** An open event stream. */
export interface EventStream {
  send(event: string, data: unknown, id?: string | number): void;
  /** Ends the stream from the server side. */
  end(): void;
  /** Runs when the stream ends, whichever side ends it. */
  onClose(callback: () => void): void;
}

/** Turns the reply into an event stream. */
export function openEventStream(request: FastifyRequest, reply: FastifyReply): EventStream {
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  raw.write(': kiln\n\n');
  const closers: (() => void)[] = [];
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    clearInterval(keepAlive);
    for (const callback of closers) callback();
  };
  const keepAlive = setInterval(() => raw.write(': keep-alive\n\n'), 15_000);
  request.raw.on('close', close);
  raw.on('close', close);
  return {
    send(event, data, id) {
      if (closed) return;
      const lines = JSON.stringify(data);
      raw.write(`${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${lines}\n\n`);
    },
    end() {
      if (!closed) raw.end();
      close();
    },
    onClose(callback) {
      closers.push(callback);
    },
  };
}
