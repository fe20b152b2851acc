// Bearer tokens: every change (submit, cancel, delete, a worker's upload) needs one; reading
// needs one too unless public_read is on. Tokens come from the configuration, one per user.
// Browsers' EventSource and plain download links cannot send headers, so `?access_token=` works
// as well.
import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** The user a request's token belongs to, or undefined. */
export function tokenUser(request: FastifyRequest, tokens: ReadonlyMap<string, string>): string | undefined {
  const header = request.headers.authorization;
  const query = (request.query as Record<string, unknown> | undefined)?.access_token;
  const given = header?.startsWith('Bearer ') ? header.slice(7).trim() : typeof query === 'string' ? query : undefined;
  if (!given) return undefined;
  for (const [token, user] of tokens) {
    const a = Buffer.from(token);
    const b = Buffer.from(given);
    if (a.length === b.length && timingSafeEqual(a, b)) return user;
  }
  return undefined;
}

/** Answers 401 and returns undefined unless the request carries a valid token. */
export function requireUser(request: FastifyRequest, reply: FastifyReply, tokens: ReadonlyMap<string, string>): string | undefined {
  const user = tokenUser(request, tokens);
  if (user !== undefined) return user;
  void reply
    .code(401)
    .header('www-authenticate', 'Bearer realm="kiln"')
    .send({ error: request.headers.authorization || (request.query as Record<string, unknown>)?.access_token ? 'the token is not valid' : 'this needs a token', field: 'authorization', hint: 'send "Authorization: Bearer TOKEN" (tokens are in the [tokens] section of the server configuration)' });
  return undefined;
}
