import { randomUUID } from 'node:crypto';
import { PlatformHttpError } from './platform-error.js';
import { formatMessage, type CatalogueEntry } from './error-catalogue.js';

/**
 * Builders for the error body shapes of each Platform layer (PLATFORM-API.md §11).
 * Each returns a PlatformHttpError ready to throw.
 */

/** Adobe I/O gateway (auth and header checks): `{error_code, message}`. */
export function gatewayError(status: number, errorCode: string, message: string): PlatformHttpError {
  return new PlatformHttpError(status, { error_code: errorCode, message });
}

/** Flow Service: `type/title/status/report` plus `errorMessage`/`errorDetails`. `code` is like `1101-404`. */
export function flowError(code: string, title: string, detail: string, extras: Record<string, unknown> = {}): PlatformHttpError {
  const status = Number(code.split('-')[1]);
  return new PlatformHttpError(status, {
    type: `https://ns.adobe.com/aep/errors/FLOW-${code}`,
    title,
    status,
    report: { 'detailed-message': detail, 'request-id': randomUUID() },
    errorMessage: detail,
    errorDetails: {},
    ...extras,
  });
}

/** Schema Registry (spec shape): `type` under `http://ns.adobe.com/aep/errors/XDM-…`, with `report` and `detail`. */
export function xdmError(code: string, title: string, detail: string, nowMs: number): PlatformHttpError {
  const status = Number(code.split('-')[1]);
  return new PlatformHttpError(status, {
    type: `http://ns.adobe.com/aep/errors/XDM-${code}`,
    title,
    status,
    report: {
      registryRequestId: randomUUID(),
      timestamp: formatRegistryTimestamp(nowMs),
      'detailed-message': detail,
      'sub-errors': [],
    },
    detail,
  });
}

/**
 * Catalog: the specs document no error body. We use the RFC 7807 shape the other services use,
 * with `CAT-<n>-<status>` codes (a documented choice, see README).
 */
export function catalogError(code: string, title: string, detail: string): PlatformHttpError {
  const status = Number(code.split('-')[1]);
  return new PlatformHttpError(status, {
    type: `http://ns.adobe.com/aep/errors/CAT-${code}`,
    title,
    status,
    detail,
    report: { 'detailed-message': detail, 'request-id': randomUUID() },
  });
}

/** Data Prep: undocumented body; RFC 7807 with `MAPPER-<n>-<status>` codes (the family runs report). */
export function dataPrepError(code: string, title: string, detail: string, extras: Record<string, unknown> = {}): PlatformHttpError {
  const status = Number(code.split('-')[1]);
  return new PlatformHttpError(status, {
    type: `https://ns.adobe.com/aep/errors/MAPPER-${code}`,
    title,
    status,
    detail,
    report: { 'detailed-message': detail, 'request-id': randomUUID() },
    ...extras,
  });
}

/** The generic body Platform services send for request-level problems (bad content type, malformed JSON). */
export function placeholderError(status: number, title: string, detail: string): PlatformHttpError {
  return new PlatformHttpError(status, { type: '/placeholder/type/uri', status, title, detail });
}

/** Adobe IMS token endpoint errors: `{error, error_description}`. */
export function imsError(status: number, error: string, description: string): PlatformHttpError {
  return new PlatformHttpError(status, { error, error_description: description });
}

function formatRegistryTimestamp(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}-${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

/**
 * A Flow Service error from Adobe's catalogue (code and title are Adobe's). `detail` is either our
 * own sentence or the values for the entry's message template.
 */
export function catalogueError(entry: CatalogueEntry, detail?: string | Record<string, string | number>, extras: Record<string, unknown> = {}): PlatformHttpError {
  const message = typeof detail === 'string' ? detail : formatMessage(entry, detail);
  return flowError(entry.code, entry.title, message, extras);
}
