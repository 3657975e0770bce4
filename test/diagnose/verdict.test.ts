import assert from 'node:assert/strict';
import { test } from 'node:test';
import { finding, sortFindings, type ChromiumError } from '../../src/diagnose/findings.js';
import { chromiumVerdict, decisiveFinding, summaryLine } from '../../src/diagnose/verdict.js';

const f = (err: ChromiumError | null, severity: 'error' | 'warning' | 'info' = 'error') => finding('name-mismatch', severity, `Because of ${err}.`, null, err);

test('no browser error: OK', () => {
  assert.equal(chromiumVerdict([]), 'OK');
  assert.equal(chromiumVerdict([f(null, 'warning')]), 'OK');
});

test('Chromium shows the most serious error (cert_status_flags.cc order, handshake errors first)', () => {
  const order: ChromiumError[] = ['ERR_SSL_PROTOCOL_ERROR', 'ERR_SSL_VERSION_OR_CIPHER_MISMATCH', 'ERR_SSL_KEY_USAGE_INCOMPATIBLE', 'ERR_CERT_INVALID', 'ERR_CERT_AUTHORITY_INVALID', 'ERR_CERT_COMMON_NAME_INVALID', 'ERR_CERT_WEAK_KEY', 'ERR_CERT_DATE_INVALID', 'ERR_CERT_VALIDITY_TOO_LONG'];
  for (let i = 0; i < order.length; i++) {
    const rest = order.slice(i);
    assert.equal(chromiumVerdict([...rest].reverse().map((e) => f(e))), order[i]);
  }
});

test('summaryLine: the verdict, the URL, and the reason from the decisive finding', () => {
  const line = summaryLine([f('ERR_CERT_DATE_INVALID'), finding('no-subject-alt-name', 'error', 'The certificate names x only in its CN.', null, 'ERR_CERT_COMMON_NAME_INVALID')], 'https://127.0.0.1:8888');
  assert.equal(line, 'Chromium will show NET::ERR_CERT_COMMON_NAME_INVALID for https://127.0.0.1:8888 — the certificate names x only in its CN');
  assert.equal(summaryLine([], 'https://a'), 'Chromium will load https://a without a certificate warning.');
  assert.match(summaryLine([f(null, 'error')], 'https://a'), /but 1 other problem need/);
  assert.equal(decisiveFinding([f(null)]), undefined);
});

test('sortFindings: errors, then warnings, then info, stable', () => {
  const a = f(null, 'info'), b = f(null, 'error'), c = f(null, 'warning'), d = f(null, 'error');
  assert.deepEqual(sortFindings([a, b, c, d]), [b, d, c, a]);
});
