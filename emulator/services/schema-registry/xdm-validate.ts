import type { XdmFieldInfo } from './xdm-fields.js';

/**
 * Validating a record against a dataset's XDM schema, as batch ingestion does before it writes a
 * row: every value has its field's type (objects, maps, arrays and their items all the way
 * down), strings their format (`date-time`, `date`), length, pattern and enum, integers their
 * range, and required fields are present. A record with any problem is not written.
 */

/** One reason a record does not fit: the XDM path of the value and what is wrong with it. */
export interface XdmProblem {
  path: string;
  reason: string;
}

/** ISO 8601 / RFC 3339 date-time, as XDM's `date-time` format requires (a zone is required). */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The problems of `record` against `shape` (the schema's root object); empty when it fits. */
export function validateXdmRecord(record: unknown, shape: XdmFieldInfo): XdmProblem[] {
  const problems: XdmProblem[] = [];
  check(record, shape, '', problems);
  return problems;
}

function check(value: unknown, info: XdmFieldInfo, path: string, problems: XdmProblem[]): void {
  const at = (key: string) => (path === '' ? key : `${path}.${key}`);
  const fail = (reason: string) => problems.push({ path: path === '' ? '(record)' : path, reason });
  const actual = describe(value);
  switch (info.type) {
    case 'object': {
      if (actual !== 'object') return void fail(`expected ${info.xdmType === 'map' ? 'a map' : 'an object'}, found ${actual}`);
      const object = value as Record<string, unknown>;
      for (const key of info.required ?? []) {
        if (object[key] === undefined || object[key] === null) problems.push({ path: at(key), reason: 'the field is required' });
      }
      for (const [key, child] of Object.entries(object)) {
        if (child === null || child === undefined) continue;
        if (info.xdmType === 'map') {
          if (info.additionalProperties) check(child, info.additionalProperties, at(key), problems);
          continue;
        }
        const childInfo = info.properties?.[key];
        if (!childInfo) {
          problems.push({ path: at(key), reason: 'the field is not defined in the schema' });
          continue;
        }
        check(child, childInfo, at(key), problems);
      }
      return;
    }
    case 'array': {
      if (actual !== 'array') return void fail(`expected an array, found ${actual}`);
      (value as unknown[]).forEach((item, index) => {
        if (item !== null && item !== undefined && info.items) check(item, info.items, `${path}[${index}]`, problems);
      });
      return;
    }
    case 'string': {
      if (actual !== 'string') return void fail(`expected ${info.xdmType ?? 'string'}, found ${actual}`);
      const text = value as string;
      if (info.xdmType === 'date-time' && !(DATE_TIME.test(text) && !Number.isNaN(Date.parse(text)))) return void fail(`'${text}' is not an ISO 8601 date-time with a zone`);
      if (info.xdmType === 'date' && !DATE.test(text)) return void fail(`'${text}' is not an ISO 8601 date (yyyy-mm-dd)`);
      if (info.maxLength !== undefined && text.length > info.maxLength) return void fail(`the string is ${text.length} characters long, more than maxLength ${info.maxLength}`);
      if (info.minLength !== undefined && text.length < info.minLength) return void fail(`the string is ${text.length} characters long, less than minLength ${info.minLength}`);
      if (info.enum && !info.enum.includes(text)) return void fail(`'${text}' is not one of the field's enum values`);
      if (info.pattern !== undefined && !safePattern(info.pattern).test(text)) return void fail(`'${text}' does not match the pattern ${info.pattern}`);
      return;
    }
    case 'integer': {
      if (actual !== 'integer') return void fail(`expected integer, found ${actual}`);
      const n = value as number;
      if ((info.minimum !== undefined && n < info.minimum) || (info.maximum !== undefined && n > info.maximum)) {
        fail(`${n} is outside the range ${info.minimum ?? '-∞'}..${info.maximum ?? '∞'} of the integer field`);
      }
      return;
    }
    case 'number':
      if (actual !== 'integer' && actual !== 'number') fail(`expected number, found ${actual}`);
      return;
    case 'boolean':
      if (actual !== 'boolean') fail(`expected boolean, found ${actual}`);
      return;
  }
}

function safePattern(pattern: string): RegExp {
  try {
    return new RegExp(pattern);
  } catch {
    return /.*/;
  }
}

/** `object`, `array`, `string`, `integer`, `number`, `boolean` or `null`, as messages name them. */
export function describe(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}
