import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { GraphQLError } from 'graphql';
import { createFormatError, requestScope } from '../../src/graphql/format-error.js';
import { createLogger } from '../../src/logging/logger.js';
import { activeTraceId, inSpan, traceCarrier } from '../../src/observability/tracing.js';

describe('trace ids in log lines and errors (an in-process exporter)', () => {
  const sdk = new NodeSDK({ traceExporter: new InMemorySpanExporter(), instrumentations: [] });
  const lines: string[] = [];
  const logger = createLogger({ level: 'info', destination: { write: (line: string) => lines.push(line) } as unknown as NodeJS.WritableStream });
  before(() => sdk.start());
  after(() => sdk.shutdown());

  it('writes the trace id into every log line inside a span, and none outside', async () => {
    const traceId = await inSpan('work', {}, async () => {
      logger.info('inside');
      return activeTraceId();
    });
    logger.info('outside');
    assert.match(traceId ?? '', /^[0-9a-f]{32}$/);
    assert.equal((JSON.parse(lines.find((l) => l.includes('"inside"'))!) as { traceId?: string }).traceId, traceId);
    assert.equal((JSON.parse(lines.find((l) => l.includes('"outside"'))!) as { traceId?: string }).traceId, undefined);
  });

  it("puts the trace id beside the request id in an unexpected error's extensions", async () => {
    const formatError = createFormatError(logger);
    const { formatted, traceId } = await inSpan('request', {}, async () =>
      requestScope.run({ requestId: 'req-7' }, () => {
        const error = new GraphQLError('boom', { originalError: new TypeError('boom') });
        return { formatted: formatError(error.toJSON(), error), traceId: activeTraceId() };
      }),
    );
    assert.deepEqual(formatted.extensions, { code: 'INTERNAL_SERVER_ERROR', requestId: 'req-7', traceId });
  });

  it('carries the active span as a W3C traceparent (what job data holds)', async () => {
    const carrier = await inSpan('enqueue', {}, async () => traceCarrier());
    assert.match(carrier.traceparent ?? '', /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    assert.deepEqual(traceCarrier(), {}, 'nothing outside a span');
  });
});
