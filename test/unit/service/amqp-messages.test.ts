// The AMQP side that needs no broker: message bodies, queue arguments, URLs and back-off.
import { describe, expect, it } from 'vitest';
import { backoffMs, redactUrl, withHeartbeat } from '../../../lib/service/queue/amqp-connection.js';
import { jobMessage, messageId, parseJobMessage, parseWorkerEvent } from '../../../lib/service/queue/amqp-messages.js';
import { jobQueueArguments } from '../../../lib/service/queue/amqp-topology.js';
import { FieldError, normaliseSubmission } from '../../../lib/service/submission.js';

const id = '0b6f0f56-2b5a-4a4e-9b8e-4d8a3c3e2a11';

describe('AMQP messages', () => {
  it("reads IMG's job message: email, id, imagetype, name, arch, release, ksfile", () => {
    const body = { email: 'a@example.com', id, imagetype: 'tar', name: 'img', arch: 'x86_64', release: 'bookworm', ksfile: '{"flavours":["debian"]}' };
    const job = parseJobMessage(Buffer.from(JSON.stringify(body)), () => 'unused');
    expect(job).toMatchObject({ id, name: 'img', email: 'a@example.com', arch: 'amd64', release: 'bookworm', types: ['tar'], flavours: ['debian'] });
    expect(job.spec).toMatchObject({ flavours: ['debian'], types: ['tar'], environment: { DIB_RELEASE: 'bookworm' } });
  });

  it('round-trips the jobs the server publishes', () => {
    const plain = normaliseSubmission({ id, name: 'w', flavours: ['debian', 'vm'], types: ['qcow2'], packages: ['curl'], environment: { DIB_X: '1' } }, { email: '' });
    expect(parseJobMessage(Buffer.from(JSON.stringify(jobMessage(plain))), () => '')).toEqual(plain);
    expect(jobMessage(plain)).not.toHaveProperty('email');
    const spec = normaliseSubmission({ id, name: 'w', spec: { flavours: ['debian'], types: ['tar'] }, email: 'a@example.com' }, { email: '' });
    expect(jobMessage(spec)).toEqual({ id, name: 'w', email: 'a@example.com', spec: spec.spec });
    expect(parseJobMessage(Buffer.from(JSON.stringify(jobMessage(spec))), () => '')).toEqual(spec);
  });

  it('names what is wrong with a bad job message', () => {
    const field = (text: string): string => {
      try {
        parseJobMessage(Buffer.from(text), () => id);
      } catch (error) {
        if (error instanceof FieldError) return error.field;
        throw error;
      }
      return 'no error';
    };
    expect(field('not json')).toBe('message');
    expect(field(JSON.stringify({ name: 'x', flavours: ['debian'], colour: 1 }))).toBe('colour');
    expect(field(JSON.stringify({ flavours: ['debian'] }))).toBe('name');
    expect(field(JSON.stringify({ name: 'x', flavours: ['debian'] }))).toBe('no error');
    expect(messageId(Buffer.from(JSON.stringify({ id })))).toBe(id);
    expect(messageId(Buffer.from('{"id":"../x"}'))).toBeUndefined();
  });

  it('accepts only worker reports on the server queue', () => {
    expect(parseWorkerEvent(Buffer.from(JSON.stringify({ type: 'log', id, attempt: 1, offset: 0, text: 'x' })))?.type).toBe('log');
    expect(parseWorkerEvent(Buffer.from(JSON.stringify({ type: 'heartbeat', worker: 'w' })))?.type).toBe('heartbeat');
    expect(parseWorkerEvent(Buffer.from(JSON.stringify({ type: 'finished' })))).toBeUndefined();
    expect(parseWorkerEvent(Buffer.from(JSON.stringify({ type: 'other', id })))).toBeUndefined();
  });
});

describe('the broker connection', () => {
  it('dead-letters a job after max_deliveries deliveries', () => {
    expect(jobQueueArguments(3)).toEqual({ 'x-queue-type': 'quorum', 'x-delivery-limit': 2, 'x-dead-letter-exchange': 'image_dead_exchange' });
  });

  it('asks for heartbeats, hides passwords and backs off up to 15 s', () => {
    expect(withHeartbeat('amqp://u:p@h/v')).toBe('amqp://u:p@h/v?heartbeat=10');
    expect(withHeartbeat('amqp://h?heartbeat=30')).toBe('amqp://h?heartbeat=30');
    expect(redactUrl('amqp://kiln:s3cret@mq/kiln')).toBe('amqp://kiln:***@mq/kiln');
    expect([0, 1, 2, 10].map((n) => backoffMs(n, () => 0.5))).toEqual([500, 1000, 2000, 15000]);
  });
});
