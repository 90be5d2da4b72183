import { catalogError, dataPrepError, flowError, gatewayError, imsError, placeholderError, xdmError } from '../errors/error-bodies.js';
import type { PlatformHttpError } from '../errors/platform-error.js';
import type { ServiceFamily } from './service-family.js';

/**
 * The few errors every service can raise, in the body shape of the service that raises them.
 * Route handlers use the family-specific builders directly for their own codes.
 */
export const familyErrors = {
  notFound(family: ServiceFamily, what: string, id: string, nowMs: number): PlatformHttpError {
    const detail = `${what} with id '${id}' was not found in this organization and sandbox.`;
    switch (family) {
      case 'flow':
        return flowError('1101-404', 'Resource not found', `The requested resource is not found. ${detail}`);
      case 'xdm':
        return xdmError('1012-404', 'Resource Not Found', detail, nowMs);
      case 'catalog':
        return catalogError('1004-404', 'Not Found', detail);
      case 'dataprep':
        return dataPrepError('1004-404', 'Not Found', detail);
      default:
        return gatewayError(404, '404050', detail);
    }
  },

  unavailable(family: ServiceFamily, nowMs: number): PlatformHttpError {
    const detail = 'The service is temporarily unavailable. Please try again.';
    switch (family) {
      case 'flow':
        return flowError('1103-503', 'Service Unavailable', detail);
      case 'xdm':
        return xdmError('1503-503', 'Service Unavailable', detail, nowMs);
      case 'catalog':
        return catalogError('1503-503', 'Service Unavailable', detail);
      case 'dataprep':
        return dataPrepError('1503-503', 'Service Unavailable', detail);
      default:
        return gatewayError(503, '503000', detail);
    }
  },

  internal(family: ServiceFamily, nowMs: number): PlatformHttpError {
    const detail = 'An internal error has occurred. Please try again.';
    switch (family) {
      case 'flow':
        return flowError('1102-500', 'Internal Error', detail);
      case 'xdm':
        return xdmError('1500-500', 'Internal Server Error', detail, nowMs);
      case 'catalog':
        return catalogError('1500-500', 'Internal Server Error', detail);
      case 'dataprep':
        return dataPrepError('1500-500', 'Internal Server Error', detail);
      default:
        return gatewayError(500, '500000', detail);
    }
  },

  /** A status chosen by a fault rule: 429 comes from the gateway, everything else from the service. */
  injected(family: ServiceFamily, status: number, nowMs: number): PlatformHttpError {
    // IMS is not behind the Adobe I/O gateway: it answers in its own OAuth error shape.
    if (family === 'ims') return imsError(status, status === 429 ? 'too_many_requests' : 'temporarily_unavailable', `Injected failure with status ${status}.`);
    if (status === 429) return gatewayError(429, '429050', 'Too many requests');
    if (status === 503) return this.unavailable(family, nowMs);
    if (status === 500) return this.internal(family, nowMs);
    const detail = `Injected failure with status ${status}.`;
    switch (family) {
      case 'flow':
        return flowError(`1400-${status}`, 'Injected failure', detail);
      case 'xdm':
        return xdmError(`1400-${status}`, 'Injected failure', detail, nowMs);
      case 'catalog':
        return catalogError(`1400-${status}`, 'Injected failure', detail);
      case 'dataprep':
        return dataPrepError(`1400-${status}`, 'Injected failure', detail);
      default:
        return gatewayError(status, `${status}000`, detail);
    }
  },

  /** Request body present but empty where one is required. */
  emptyBody(family: ServiceFamily, nowMs: number): PlatformHttpError {
    switch (family) {
      case 'flow':
        return flowError('1405-400', 'Invalid request', 'The request body is empty. Please provide a request body and try again.');
      case 'xdm':
        return xdmError('1000-400', 'Bad Request', 'The request body is empty.', nowMs);
      default:
        return placeholderError(400, 'BadRequestError', 'The request body is empty.');
    }
  },

  malformedJson(message: string): PlatformHttpError {
    return placeholderError(400, 'BadRequestError', `The request body is not valid JSON: ${message}`);
  },

  contentType(): PlatformHttpError {
    return placeholderError(400, 'BadRequestError', 'A valid content-type must be specified');
  },

  tooLarge(limit: number): PlatformHttpError {
    return placeholderError(413, 'PayloadTooLargeError', `The request body exceeds the limit of ${limit} bytes.`);
  },

  routeNotFound(method: string, path: string): PlatformHttpError {
    return gatewayError(404, '404010', `No API is available at ${method} ${path}`);
  },
};
