/**
 * What the proxy says when it cannot forward.
 *
 *   cd /work/main && node --import tsx --test test/proxy/error-page.test.ts
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyBackendError, jupyterHint } from '../../src/proxy/error-page.js';

const err = (code: string, message = code) => Object.assign(new Error(message), { code });

describe('classifyBackendError', () => {
  test('nothing listening → "down" (502, retried page)', () => {
    const f = classifyBackendError(err('ECONNREFUSED'), 'http://127.0.0.1:8888');
    assert.equal(f.kind, 'down');
    assert.equal(f.status, 502);
    assert.match(f.message, /Nothing is listening on http:\/\/127\.0\.0\.1:8888 \(connection refused\)/);
  });
  test('timeouts → 504; resets → 502; an HTTPS port spoken to in HTTP → a hint', () => {
    assert.equal(classifyBackendError(err('ETIMEDOUT'), 'b').status, 504);
    assert.equal(classifyBackendError(err('ECONNRESET'), 'b').kind, 'reset');
    assert.match(classifyBackendError(err('HPE_INVALID_CONSTANT'), 'b').message, /--to https:\/\//);
  });
});

describe('jupyterHint', () => {
  test('a command that makes Jupyter listen where the proxy forwards', () => {
    assert.equal(jupyterHint(new URL('http://127.0.0.1:8888')), 'jupyter lab --no-browser --ip=127.0.0.1 --port=8888 --ServerApp.allow_remote_access=True');
    assert.equal(jupyterHint(new URL('http://localhost:9999')), 'jupyter lab --no-browser --port=9999 --ServerApp.allow_remote_access=True');
  });
});
