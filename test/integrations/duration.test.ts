import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, parseDuration } from '../../src/integrations/duration.js';

test('parseDuration reads d/h/m/s and combinations; a bare number is days', () => {
  assert.equal(parseDuration('10d'), 10 * 86_400_000);
  assert.equal(parseDuration('12h'), 12 * 3_600_000);
  assert.equal(parseDuration('30m'), 30 * 60_000);
  assert.equal(parseDuration('45s'), 45_000);
  assert.equal(parseDuration('1d12h'), 36 * 3_600_000);
  assert.equal(parseDuration(' 7D '), 7 * 86_400_000);
  assert.equal(parseDuration('3'), 3 * 86_400_000);
});

test('parseDuration refuses what it cannot read, naming the option', () => {
  for (const bad of ['', 'ten days', '10x', '10d junk', '-1d', '1.5d', 'd']) {
    assert.throws(() => parseDuration(bad, '--renew-before'), (e: Error & { code?: string }) => e.code === 'usage' && /--renew-before/.test(e.message) && /10d, 12h, 30m/.test(e.message), bad);
  }
});

test('formatDuration picks the largest unit that is at least 2', () => {
  assert.equal(formatDuration(27 * 86_400_000 + 5000), '27 days');
  assert.equal(formatDuration(30 * 86_400_000 - 1000), '30 days'); // just issued: not "29 days"
  assert.equal(formatDuration(36 * 3_600_000), '36 hours');
  assert.equal(formatDuration(5 * 3_600_000), '5 hours');
  assert.equal(formatDuration(90 * 60_000), '90 minutes');
  assert.equal(formatDuration(-3 * 86_400_000), '3 days');
  assert.equal(formatDuration(1000), '1 second');
});
