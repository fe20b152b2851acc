// One error shape for the whole API: `{ error, field?, hint? }` with a 4xx status for anything
// the client can fix (a schema violation names the JSON path of the field), and a bare 500
// without internals for anything else (the details go to the server's log).
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { KilnError } from '../../errors.js';
import { FieldError } from '../submission.js';

interface AjvError {
  instancePath: string;
  /** Set when a property name (not a value) broke the schema (propertyNames). */
  propertyName?: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** The field path ("environment.DIB_X", "flavours[2]") of a schema error. */
export function fieldOfValidation(error: AjvError): string {
  const path = error.instancePath
    .split('/')
    .filter(Boolean)
    .map((part) => (/^\d+$/.test(part) ? `[${part}]` : `.${part}`))
    .join('')
    .replace(/^\./, '');
  const extra = error.params.missingProperty ?? error.params.additionalProperty ?? error.propertyName ?? error.params.propertyName;
  if (typeof extra === 'string') return path ? `${path}.${extra}` : extra;
  return path || 'body';
}

function describeValidation(error: AjvError): string {
  if (error.keyword === 'additionalProperties') return 'is not a known field';
  if (error.keyword === 'required') return 'is required';
  if (error.keyword === 'propertyNames' || error.propertyName !== undefined) return 'is not an allowed name (only DIB_* variables may be set)';
  return error.message ?? 'is not valid';
}

/** The API's error handler. */
export function handleError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  if (error.validation?.length) {
    const first = error.validation[0] as unknown as AjvError;
    const context = error.validationContext === 'body' ? '' : `${error.validationContext ?? ''} `;
    const field = fieldOfValidation(first);
    void reply.code(400).send({ error: `${context}${field}: ${describeValidation(first)}`, field });
    return;
  }
  if (error instanceof FieldError) {
    void reply.code(400).send({ error: error.message, field: error.field, ...(error.hint ? { hint: error.hint } : {}) });
    return;
  }
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    void reply.code(413).send({ error: 'the submission is larger than the server accepts (max_upload)', field: 'upload' });
    return;
  }
  if (error instanceof KilnError) {
    void reply.code(400).send({ error: error.message, ...(error.hint ? { hint: error.hint } : {}) });
    return;
  }
  if (error.statusCode && error.statusCode < 500) {
    void reply.code(error.statusCode).send({ error: error.message, field: 'body' });
    return;
  }
  request.log.error(error);
  process.stderr.write(`kiln-server: ${request.method} ${request.url} failed: ${error.stack ?? error.message}\n`);
  void reply.code(500).send({ error: 'internal error in kiln-server (its log has the details)' });
}
