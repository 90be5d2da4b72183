import type { ApiName } from './spec-catalog.js';

/**
 * JSON Schemas (draft-07, for ajv) of the error bodies Adobe documents (PLATFORM-API.md §1.3, §11,
 * §14.28). The specs themselves mostly document error statuses without a body, so the
 * general error-status deviation checks error bodies against these shapes instead.
 */
export type ErrorShapeName = 'gateway' | 'placeholder' | 'flowService' | 'flowVersionMismatch' | 'schemaRegistry' | 'catalog' | 'dataPrep';

const problemStatus = { type: 'integer', minimum: 400, maximum: 599 } as const;

/** One schema per documented error body. */
export const ERROR_SHAPE_SCHEMAS: Record<ErrorShapeName, { title: string; schema: object }> = {
  gateway: {
    title: 'Adobe I/O gateway `{error_code, message}`',
    schema: {
      type: 'object',
      required: ['error_code', 'message'],
      properties: {
        error_code: { type: 'string', pattern: '^[0-9]{6}$' },
        message: { type: 'string' },
      },
    },
  },
  placeholder: {
    title: 'request-level `{type: "/placeholder/type/uri", status, title, detail}`',
    schema: {
      type: 'object',
      required: ['type', 'status', 'title', 'detail'],
      properties: {
        type: { const: '/placeholder/type/uri' },
        status: problemStatus,
        title: { type: 'string' },
        detail: { type: 'string' },
      },
    },
  },
  flowService: {
    title: 'Flow Service `{type: https://ns.adobe.com/aep/errors/FLOW-…, title, status, report}`',
    schema: {
      type: 'object',
      required: ['type', 'title', 'status', 'report'],
      properties: {
        type: { type: 'string', pattern: '^https://ns\\.adobe\\.com/aep/errors/FLOW-' },
        title: { type: 'string' },
        status: problemStatus,
        report: { type: 'object' },
        errorMessage: { type: 'string' },
      },
    },
  },
  flowVersionMismatch: {
    title: 'Flow Service etag mismatch `{errorMessage: "Supplied version=[…] does not match …"}` (412 only)',
    schema: {
      type: 'object',
      required: ['errorMessage'],
      properties: { errorMessage: { type: 'string', pattern: '^Supplied version=' } },
    },
  },
  schemaRegistry: {
    title: 'Schema Registry `{type: http://ns.adobe.com/aep/errors/XDM-…, title, status, report, detail}`',
    schema: {
      type: 'object',
      required: ['type', 'title', 'status', 'report', 'detail'],
      properties: {
        type: { type: 'string', pattern: '^http://ns\\.adobe\\.com/aep/errors/XDM-' },
        title: { type: 'string' },
        status: problemStatus,
        report: { type: 'object' },
        detail: { type: 'string' },
      },
    },
  },
  catalog: {
    title: 'Catalog `{type: …/aep/errors/CAT-…, title, status, detail}`',
    schema: {
      type: 'object',
      required: ['type', 'title', 'status', 'detail'],
      properties: {
        type: { type: 'string', pattern: '^https?://ns\\.adobe\\.com/aep/errors/CAT-' },
        title: { type: 'string' },
        status: problemStatus,
        detail: { type: 'string' },
      },
    },
  },
  dataPrep: {
    title: 'Data Prep `{type: …/aep/errors/MAPPER-…, title, status, detail}`',
    schema: {
      type: 'object',
      required: ['type', 'title', 'status', 'detail'],
      properties: {
        type: { type: 'string', pattern: '^https?://ns\\.adobe\\.com/aep/errors/MAPPER-' },
        title: { type: 'string' },
        status: problemStatus,
        detail: { type: 'string' },
      },
    },
  },
};

/**
 * The shapes an API may answer with: the gateway and the request-level placeholder body can come
 * from any of them; the service's own shape only from that service (a Catalog route answering with a
 * Flow Service body is a bug). `null` is a path outside every API: only the gateway answers there.
 */
export function errorShapesFor(api: ApiName | null, status: number): ErrorShapeName[] {
  const common: ErrorShapeName[] = ['gateway', 'placeholder'];
  switch (api) {
    case null:
      return common;
    case 'flow-service':
      return status === 412 ? [...common, 'flowService', 'flowVersionMismatch'] : [...common, 'flowService'];
    case 'schema-registry':
      return [...common, 'schemaRegistry'];
    case 'catalog':
      return [...common, 'catalog'];
    case 'data-prep':
      return [...common, 'dataPrep'];
  }
}

/**
 * Checks that RFC 7807-style bodies agree with the HTTP status: `status` equals it and a coded
 * `type` (`…/FLOW-1101-404`) ends with it. Returns a message, or null when consistent.
 */
export function errorStatusMismatch(body: unknown, httpStatus: number): string | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
  const record = body as Record<string, unknown>;
  if (typeof record.status === 'number' && record.status !== httpStatus) {
    return `error body field 'status' is ${record.status} but the HTTP status is ${httpStatus}`;
  }
  if (typeof record.type === 'string') {
    const coded = /\/(FLOW|XDM|CAT|MAPPER)-[0-9A-Za-z]+-(\d{3})$/.exec(record.type);
    if (coded && Number(coded[2]) !== httpStatus) {
      return `error type '${record.type}' ends in ${coded[2]} but the HTTP status is ${httpStatus}`;
    }
  }
  return null;
}
