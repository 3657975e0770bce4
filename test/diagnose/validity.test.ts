import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dateFindings, lifetimeFindings, tooLongForPublicTrust } from '../../src/diagnose/validity.js';
import { makeLeaf } from '../helpers/x509-factory.js';

const DAY = 86400_000;
const ctx = { issueCommand: 'tlsdock issue localhost --out certs/' };

test('tooLongForPublicTrust follows the Baseline Requirements dates', () => {
  const d = (s: string) => new Date(s);
  assert.equal(tooLongForPublicTrust(d('2024-01-01'), new Date(d('2024-01-01').getTime() + 398 * DAY)), false);
  assert.equal(tooLongForPublicTrust(d('2024-01-01'), new Date(d('2024-01-01').getTime() + 399 * DAY)), true);
  assert.equal(tooLongForPublicTrust(d('2019-01-01'), new Date(d('2019-01-01').getTime() + 800 * DAY)), false);
  assert.equal(tooLongForPublicTrust(d('2019-01-01'), new Date(d('2019-01-01').getTime() + 826 * DAY)), true);
});

test('expired / not yet valid, and whether they count for Chromium', async () => {
  const leaf = await makeLeaf(undefined, { notBefore: new Date(Date.now() - 10 * DAY), notAfter: new Date(Date.now() - 2 * DAY) });
  const [e] = dateFindings([leaf.info], new Date(), ctx, true);
  assert.equal(e!.id, 'expired');
  assert.match(e!.message, /expired 2 days ago/);
  assert.equal(e!.browserError, 'ERR_CERT_DATE_INVALID');
  assert.equal(dateFindings([leaf.info], new Date(), ctx, false)[0]!.browserError, null);
  const future = await makeLeaf(undefined, { notBefore: new Date(Date.now() + 3 * DAY) });
  assert.equal(dateFindings([future.info], new Date(), ctx, true)[0]!.id, 'not-yet-valid');
  assert.deepEqual(dateFindings([leaf.info], new Date(Date.now() - 5 * DAY), ctx, true), []);
});

test('expiring-soon in the last third of a short life, or the last 30 days of a long one', async () => {
  const week = await makeLeaf(undefined, { notBefore: new Date(Date.now() - 6 * DAY), notAfter: new Date(Date.now() + DAY) });
  assert.deepEqual(lifetimeFindings(week.info, new Date(), 'nss', ctx).map((f) => f.id), ['expiring-soon']);
  const fresh = await makeLeaf(undefined, { notBefore: new Date(Date.now() - DAY), notAfter: new Date(Date.now() + 6 * DAY) });
  assert.deepEqual(lifetimeFindings(fresh.info, new Date(), 'nss', ctx), []);
  const year = await makeLeaf(undefined, { notBefore: new Date(Date.now() - 340 * DAY), notAfter: new Date(Date.now() + 20 * DAY) });
  assert.deepEqual(lifetimeFindings(year.info, new Date(), 'nss', ctx).map((f) => f.id), ['expiring-soon']);
});

test('validity-too-long: an error under a public root, a warning (Apple) under a local one', async () => {
  const long = await makeLeaf(undefined, { notBefore: new Date(Date.now() - DAY), notAfter: new Date(Date.now() + 900 * DAY) });
  const pub = lifetimeFindings(long.info, new Date(), 'public', ctx);
  assert.deepEqual(pub.map((f) => [f.id, f.severity, f.browserError]), [['validity-too-long', 'error', 'ERR_CERT_VALIDITY_TOO_LONG']]);
  const local = lifetimeFindings(long.info, new Date(), 'nss', ctx);
  assert.deepEqual(local.map((f) => [f.id, f.severity, f.browserError]), [['validity-too-long', 'warning', null]]);
  const ok = await makeLeaf(undefined, { notAfter: new Date(Date.now() + 397 * DAY) });
  assert.deepEqual(lifetimeFindings(ok.info, new Date(), 'nss', ctx), []);
});
