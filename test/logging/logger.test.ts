import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../../src/logging/logger.js';

describe('createLogger', () => {
  it('redacts the credentials callers send: authorization and x-api-key headers, WebSocket connection params', () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', destination: { write: (line: string) => lines.push(line) } as unknown as NodeJS.WritableStream });
    logger.info(
      {
        'x-api-key': 'fgk_secret_1',
        req: { headers: { authorization: 'Bearer fgk_secret_2', 'x-api-key': 'fgk_secret_3' } },
        connectionParams: { authorization: 'Bearer fgk_secret_4' },
        ctx: { connectionParams: { apiKey: 'fgk_secret_5' } },
      },
      'a request',
    );
    assert.equal(lines.length, 1);
    const line = lines[0]!;
    assert.doesNotMatch(line, /fgk_secret/);
    assert.match(line, /\[redacted\]/);
  });
});
