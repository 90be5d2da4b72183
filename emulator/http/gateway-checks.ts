import type { FastifyRequest } from 'fastify';
import type { EmulatorContext, PlatformCall } from '../context.js';
import { flowError, gatewayError, placeholderError, xdmError, catalogError, dataPrepError } from '../errors/error-bodies.js';
import type { PlatformHttpError } from '../errors/platform-error.js';
import type { ServiceFamily } from './service-family.js';

const ORG_ID_SHAPE = /^[A-Za-z0-9]+@AdobeOrg$/;

/**
 * The checks the Adobe I/O gateway and each service make before a handler runs, in the
 * order the real stack makes them: token, API key, org, then the service's sandbox check.
 * Throws the Platform's error for the first one that fails.
 */
export function checkPlatformCall(ctx: EmulatorContext, request: FastifyRequest, family: 'flow' | 'dataprep' | 'catalog' | 'xdm'): PlatformCall {
  const header = (name: string): string | undefined => {
    const value = request.headers[name];
    return Array.isArray(value) ? value[0] : value;
  };

  const authorization = header('authorization');
  if (!authorization) throw gatewayError(403, '403010', 'Oauth token is missing.');
  const bearer = /^Bearer\s+(\S+)$/i.exec(authorization)?.[1];
  const token = bearer ? ctx.tokens.check(bearer, ctx.clock.nowMs()) : ({ ok: false, reason: 'unknown' } as const);
  if (!token.ok) throw gatewayError(401, '401013', 'Oauth token is not valid');

  const apiKey = header('x-api-key');
  if (!apiKey) throw gatewayError(403, '403000', 'Api Key is required');
  if (apiKey !== ctx.options.clientId || apiKey !== token.clientId) throw gatewayError(403, '403003', 'Api Key is invalid');

  const orgId = header('x-gw-ims-org-id');
  if (!orgId) throw gatewayError(400, '400003', 'Missing header');
  if (!ORG_ID_SHAPE.test(orgId)) throw gatewayError(403, '403027', 'User region is missing');
  if (!ctx.store.hasOrg(orgId)) throw gatewayError(403, '403025', 'Profile is not valid');

  let sandboxName = header('x-sandbox-name');
  if (!sandboxName) {
    if (family === 'flow' && ctx.options.missingSandboxPolicy === 'default') sandboxName = ctx.options.sandboxes[0];
    // With no sandbox configured there is no default to fall back on: the header is still missing.
    if (!sandboxName) throw missingSandbox(ctx, family);
  }
  if (!ctx.store.hasSandbox(sandboxName)) throw unknownSandbox(ctx, family, sandboxName);

  return { clientId: token.clientId, orgId, sandboxName, partition: ctx.store.partition(orgId, sandboxName) };
}

function missingSandbox(ctx: EmulatorContext, family: ServiceFamily): PlatformHttpError {
  const detail = "The header 'x-sandbox-name' is missing in the request. Please provide the header and try again.";
  switch (family) {
    case 'flow':
      return flowError('2105-400', 'Header is missing', detail);
    case 'xdm':
      return xdmError('1525-400', 'Header is missing', detail, ctx.clock.nowMs());
    case 'catalog':
      return catalogError('1009-400', 'Header is missing', detail);
    case 'dataprep':
      return dataPrepError('1009-400', 'Header is missing', detail);
    default:
      return placeholderError(400, 'BadRequestError', detail);
  }
}

function unknownSandbox(ctx: EmulatorContext, family: ServiceFamily, name: string): PlatformHttpError {
  const detail = `Sandbox '${name}' was not found for this organization.`;
  switch (family) {
    case 'flow':
      return flowError('2100-404', 'Sandbox not found', detail);
    case 'xdm':
      return xdmError('1526-404', 'Sandbox not found', detail, ctx.clock.nowMs());
    case 'catalog':
      return catalogError('1010-404', 'Sandbox not found', detail);
    case 'dataprep':
      return dataPrepError('1010-404', 'Sandbox not found', detail);
    default:
      return placeholderError(404, 'NotFoundError', detail);
  }
}
