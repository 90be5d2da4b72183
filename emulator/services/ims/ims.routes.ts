import type { FastifyInstance } from 'fastify';
import type { EmulatorContext } from '../../context.js';
import { imsError } from '../../errors/error-bodies.js';

/**
 * Adobe IMS OAuth server-to-server token endpoint (`POST /ims/token/v3`).
 * Parameters may come in the form body or the query string, as IMS accepts both.
 */
export function registerImsRoutes(app: FastifyInstance, ctx: EmulatorContext): void {
  app.post('/ims/token/v3', async (request, reply) => {
    const contentType = String(request.headers['content-type'] ?? '');
    const body = contentType.startsWith('application/x-www-form-urlencoded') && request.body && typeof request.body === 'object' ? (request.body as Record<string, string>) : {};
    const query = request.query as Record<string, string>;
    const param = (name: string): string | undefined => body[name] ?? query[name];

    const grantType = param('grant_type');
    if (!grantType) throw imsError(400, 'invalid_request', 'grant_type parameter is required');
    if (grantType !== 'client_credentials') throw imsError(400, 'unsupported_grant_type', `grant_type '${grantType}' is not supported`);
    const clientId = param('client_id');
    if (!clientId) throw imsError(400, 'invalid_request', 'client_id parameter is required');
    if (clientId !== ctx.options.clientId) throw imsError(400, 'invalid_client', 'invalid client_id parameter');
    const clientSecret = param('client_secret');
    if (!clientSecret) throw imsError(400, 'invalid_request', 'client_secret parameter is required');
    if (clientSecret !== ctx.options.clientSecret) throw imsError(401, 'invalid_client', 'invalid client_secret parameter');
    const scope = param('scope');
    if (!scope) throw imsError(400, 'invalid_scope', 'scope parameter is required');

    const ttl = ctx.options.tokenTtlSeconds;
    const accessToken = ctx.tokens.issue(clientId, ctx.clock.nowMs(), ttl);
    reply.header('cache-control', 'no-store');
    return { access_token: accessToken, token_type: 'bearer', expires_in: ttl };
  });
}
