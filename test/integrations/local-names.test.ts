import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NetworkInterfaceInfo } from 'node:os';
import { interfaceAddresses, localNames } from '../../src/integrations/local-names.js';

function iface(address: string, family: 'IPv4' | 'IPv6', internal = false, scopeid?: number): NetworkInterfaceInfo {
  const base = { address, netmask: family === 'IPv4' ? '255.255.255.0' : 'ffff:ffff:ffff:ffff::', mac: '02:42:ac:11:00:02', internal, cidr: null };
  return (family === 'IPv4' ? { ...base, family } : { ...base, family, scopeid: scopeid ?? 0 }) as NetworkInterfaceInfo;
}

const CONTAINER = {
  lo: [iface('127.0.0.1', 'IPv4', true), iface('::1', 'IPv6', true)],
  eth0: [iface('172.17.0.2', 'IPv4'), iface('fe80::42:acff:fe11:2', 'IPv6', false, 2), iface('fd00::2', 'IPv6')],
  eth1: [iface('169.254.10.1', 'IPv4'), iface('172.17.0.2', 'IPv4')],
};

test('interface addresses skip loopback, link-local (v4 and v6) and duplicates', () => {
  assert.deepEqual(interfaceAddresses(CONTAINER), ['172.17.0.2', 'fd00::2']);
});

test('localNames: localhost, loopback IPs, the host name, the container IPs, in that order', () => {
  assert.deepEqual(localNames({ hostname: '3F2A1B9C0D4E', interfaces: CONTAINER }).map((n) => `${n.kind}:${n.value}`), [
    'dns:localhost', 'ip:127.0.0.1', 'ip:::1', 'dns:3f2a1b9c0d4e', 'ip:172.17.0.2', 'ip:fd00::2',
  ]);
});

test('a host name that cannot be a certificate name is skipped, not fatal', () => {
  const names = localNames({ hostname: 'bad host!', interfaces: {} }).map((n) => n.value);
  assert.deepEqual(names, ['localhost', '127.0.0.1', '::1']);
  assert.deepEqual(localNames({ hostname: '', interfaces: {} }).length, 3);
});
