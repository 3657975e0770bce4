import * as os from 'node:os';
import { parseName, type CertName } from '../pki/names.js';

/** Link-local addresses only work with a zone (`fe80::1%eth0`), which no URL or certificate can carry. */
function isLinkLocal(address: string, family: string): boolean {
  return family === 'IPv6' ? /^fe[89ab]/i.test(address) : address.startsWith('169.254.');
}

/** The machine's (or container's) own addresses: every up interface, loopback excluded, link-local skipped. */
export function interfaceAddresses(interfaces: NodeJS.Dict<os.NetworkInterfaceInfo[]> = os.networkInterfaces()): string[] {
  const out: string[] = [];
  for (const infos of Object.values(interfaces)) {
    for (const info of infos ?? []) {
      if (info.internal || isLinkLocal(info.address, String(info.family))) continue;
      if (!out.includes(info.address)) out.push(info.address);
    }
  }
  return out;
}

/**
 * The names a server on this machine is reached by: localhost, the loopback addresses, the host name
 * and the machine's own IPs. Candidates that are not valid certificate names (an odd host name) are
 * skipped: defaults must never make a start fail.
 */
export function localNames(opts: { hostname?: string; interfaces?: NodeJS.Dict<os.NetworkInterfaceInfo[]> } = {}): CertName[] {
  const candidates = ['localhost', '127.0.0.1', '::1', (opts.hostname ?? os.hostname()).toLowerCase(), ...interfaceAddresses(opts.interfaces)];
  const out: CertName[] = [];
  for (const c of candidates) {
    if (!c) continue;
    try {
      const n = parseName(c);
      if (!out.some((o) => o.kind === n.kind && o.value === n.value)) out.push(n);
    } catch { /* not a name a certificate can hold */ }
  }
  return out;
}
