import type { FastifyRequest } from 'fastify';
import { catalogueError } from '../../errors/error-bodies.js';
import { FLOW_SERVICE_ERRORS, SOURCES_ERRORS } from '../../errors/error-catalogue.js';
import { etagMatches } from '../../ids.js';

/**
 * Small readers for request bodies that answer the Platform's error when a field is missing
 * or has the wrong type. Every message names the field.
 */
export function requireObjectBody(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null) {
    throw catalogueError(FLOW_SERVICE_ERRORS.emptyRequestBody);
  }
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw invalidField('(body)', 'must be a JSON object');
  }
  return body as Record<string, unknown>;
}

export function invalidField(field: string, problem: string): Error {
  return catalogueError(SOURCES_ERRORS.invalidParamValue, `The field '${field}' ${problem}.`, { field });
}

export function missingField(field: string): Error {
  return catalogueError(SOURCES_ERRORS.mandatoryFieldMissing, { field }, { field });
}

/** A string field: required (non-empty after trim) or optional. */
export function readString(source: Record<string, unknown> | undefined, key: string, field: string, required: true): string;
export function readString(source: Record<string, unknown> | undefined, key: string, field: string, required: false): string | undefined;
export function readString(source: Record<string, unknown> | undefined, key: string, field: string, required: boolean): string | undefined {
  const value = source?.[key];
  if (value === undefined || value === null) {
    if (required) throw missingField(field);
    return undefined;
  }
  if (typeof value !== 'string') throw invalidField(field, 'must be a string');
  if (required && value.trim() === '') throw missingField(field);
  if (value.length > 4096) throw invalidField(field, 'must be at most 4096 characters');
  return value;
}

export function readObject(source: Record<string, unknown> | undefined, key: string, field: string, required: true): Record<string, unknown>;
export function readObject(source: Record<string, unknown> | undefined, key: string, field: string, required: false): Record<string, unknown> | undefined;
export function readObject(source: Record<string, unknown> | undefined, key: string, field: string, required: boolean): Record<string, unknown> | undefined {
  const value = source?.[key];
  if (value === undefined || value === null) {
    if (required) throw missingField(field);
    return undefined;
  }
  if (typeof value !== 'object' || Array.isArray(value)) throw invalidField(field, 'must be an object');
  return value as Record<string, unknown>;
}

/**
 * The If-Match check of Flow Service PATCH: missing → 1403-400, stale → 1404-412 (with the
 * troubleshooting page's `errorMessage`). Quotes and `W/` are ignored when comparing.
 */
export function checkIfMatch(request: FastifyRequest, currentEtag: string, required: boolean): void {
  const raw = request.headers['if-match'];
  const supplied = Array.isArray(raw) ? raw[0] : raw;
  if (!supplied) {
    if (!required) return;
    throw catalogueError(FLOW_SERVICE_ERRORS.ifMatchMissing);
  }
  if (!etagMatches(supplied, currentEtag)) {
    const quoted = `"${supplied.trim().replace(/^W\//, '').replace(/^"|"$/g, '')}"`;
    const detail = `Supplied version=[${quoted}] does not match the current version on entity=[${currentEtag}]`;
    throw catalogueError(FLOW_SERVICE_ERRORS.versionMismatch, detail, { currentEtag });
  }
}
