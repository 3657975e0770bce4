import assert from 'node:assert/strict';
import * as net from 'node:net';
import { test } from 'node:test';
import { isIPv4, isIPv6 } from '../../src/pki/ip.js';

// Node's own checks are the oracle: ours exist only because net.isIPv6 is slow on first use.
const CASES = [
  '::1', '::', '1::', 'fe80::1%eth0', 'fe80::1%', 'fe80::1%a:b', 'fe80::1%eth0/1', '::ffff:1.2.3.4', '::ffff:1.2.3.256',
  '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8:9', '1::2::3', '12345::', 'g::1', '[::1]', ':1', ':::', '::1 ', 'FE80::ABCD',
  '1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:7:1.2.3.4', '1.2.3.4', '01.2.3.4', '1.2.3.04', '0.0.0.0', '00.0.0.0',
  '255.255.255.255', '256.1.1.1', '1.2.3', '1.2.3.4.5', ' 1.2.3.4', 'localhost', '', '::1]/x[', 'http://[::1]/',
];

test('isIPv4 and isIPv6 agree with node:net on every case', () => {
  for (const c of CASES) {
    assert.equal(isIPv4(c), net.isIPv4(c), `isIPv4(${JSON.stringify(c)})`);
    assert.equal(isIPv6(c), net.isIPv6(c), `isIPv6(${JSON.stringify(c)})`);
  }
});
