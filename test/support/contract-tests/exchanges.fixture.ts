import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { ContractValidator } from '../contract/contract-validator.js';
import type { RecordedExchange } from '../contract/exchange.js';

export const FLOW = '/data/foundation/flowservice';
export const DATA_PREP = '/data/foundation/conversion';
export const CATALOG = '/data/foundation/catalog';
export const XDM = '/data/foundation/schemaregistry';

export const ETAG = '"dc01244d-0000-0200-0000-65ea4e500000"';
export const CONNECTION_ID = 'a9950001-a386-4642-a0cd-5eaac6db5556';
export const FLOW_ID = '84c64142-1741-4b0b-95a9-65644eba0cf6';

const JSON_HEADERS = { 'content-type': 'application/json' };

/** A JSON exchange with the usual Platform headers; override what the test is about. */
export function exchange(overrides: Partial<RecordedExchange> & Pick<RecordedExchange, 'method' | 'path' | 'status'>): RecordedExchange {
  return {
    query: {},
    requestHeaders: {
      authorization: 'Bearer token',
      'x-api-key': 'flowgate-local',
      'x-gw-ims-org-id': 'FLOWGATE0000000000000000@AdobeOrg',
      'x-sandbox-name': 'prod',
      ...(overrides.requestBody !== undefined ? JSON_HEADERS : {}),
    },
    responseHeaders: overrides.responseBody !== undefined ? { ...JSON_HEADERS } : {},
    ...overrides,
  };
}

/** A Flow Service error body as the error catalogue documents it. */
export function flowErrorBody(code: string, title: string): Record<string, unknown> {
  const status = Number(code.split('-')[1]);
  return {
    type: `https://ns.adobe.com/aep/errors/FLOW-${code}`,
    title,
    status,
    report: { 'detailed-message': title, 'request-id': 'b1f5c3a2-0000-4000-8000-000000000000' },
    errorMessage: title,
  };
}

/** A base connection as `GET /connections/{id}` returns it inside `items`. */
export function connectionItem(): Record<string, unknown> {
  return {
    id: CONNECTION_ID,
    createdAt: 1709860257007,
    updatedAt: 1709860257007,
    createdBy: 'flowgate-local@AdobeID',
    updatedBy: 'flowgate-local@AdobeID',
    createdClient: 'flowgate-local',
    updatedClient: 'flowgate-local',
    sandboxId: 'b8f6a3c0-0000-4000-8000-000000000000',
    sandboxName: 'prod',
    imsOrgId: 'FLOWGATE0000000000000000@AdobeOrg',
    name: 'Stripe base connection',
    description: 'Authenticated base connection for Stripe',
    connectionSpec: { id: 'cc2c31d6-7b8c-4581-b49f-5c8698aa3ab3', version: '1.0' },
    state: 'enabled',
    auth: { specName: 'OAuth2 Refresh Code', params: { accessToken: '<redacted>' } },
    version: ETAG,
    etag: ETAG,
  };
}

/** The shared validator, or null (and the test skipped) on a machine without `../shared`; in CI missing specs fail. */
export async function sharedValidator(t: TestContext): Promise<ContractValidator | null> {
  return skipWithoutSpecs(t, await ContractValidator.load());
}

/** A validator of its own (coverage starts at zero), or null when the specs are absent. */
export async function freshValidator(t: TestContext, options: Parameters<typeof ContractValidator.load>[1] = {}): Promise<ContractValidator | null> {
  return skipWithoutSpecs(t, await ContractValidator.load(undefined, options));
}

function skipWithoutSpecs(t: TestContext, validator: ContractValidator | null): ContractValidator | null {
  if (validator) return validator;
  // Same policy as the emulator suites: a developer without ../shared skips, CI must not.
  if (process.env.CI === 'true') assert.fail('the Adobe specs in ../shared/reference/aep-openapi are missing, and CI must run the contract tests');
  t.skip('Adobe specs not found at ../shared/reference/aep-openapi');
  return null;
}
