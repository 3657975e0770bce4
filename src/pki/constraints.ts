import { BlockList } from 'node:net';
import { isIPv4, isIPv6 } from './ip.js';
import { TlsdockError } from '../errors.js';
import type { CertName } from './names.js';

/**
 * The permitted subtrees of a CA's NameConstraints extension, as we write and read them.
 * An empty list for a kind means "no constraint on that kind" (RFC 5280 §4.2.1.10).
 */
export interface NameConstraints {
  /** DNS subtrees: `ai-lab.local` permits the name and every subdomain; `.ai-lab.local` only subdomains. */
  dns: string[];
  /** IP subtrees in CIDR form: `10.0.0.0/8`, `fd00::/8`. */
  ip: string[];
  /** rfc822 subtrees: `example.com` (any mailbox at that host) or `.example.com`. */
  email: string[];
}

/** Private and loopback ranges a development CA may sign for. 100.64/10 is CGNAT, which Tailscale uses. */
export const PRIVATE_IP_RANGES: readonly string[] = [
  '127.0.0.0/8', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16', '100.64.0.0/10',
  '::1/128', 'fc00::/7', 'fe80::/10',
];

/** Names that can never be public: localhost and the special-use / private-use domains. */
export const LOCAL_DNS_SUFFIXES: readonly string[] = ['localhost', 'local', 'internal', 'home.arpa', 'test'];

/** The default constraints: local names, the host's own names, private IPs. */
export function defaultConstraints(hostNames: readonly string[] = []): NameConstraints {
  const dns = [...LOCAL_DNS_SUFFIXES];
  for (const h of hostNames) {
    const name = h.toLowerCase().replace(/\.$/, '');
    if (name && !dns.some((d) => dnsPermitted(name, d))) dns.push(name);
  }
  return { dns, ip: [...PRIVATE_IP_RANGES], email: [] };
}

/** Turn a `--permit` value (a DNS name, an IP, or a CIDR) into a subtree added to `nc`. */
export function addPermit(nc: NameConstraints, value: string): NameConstraints {
  const v = value.trim().toLowerCase();
  const [addr, bits] = v.split('/');
  if (addr !== undefined && (isIPv4(addr) || isIPv6(addr))) {
    const max = isIPv4(addr) ? 32 : 128;
    const n = bits === undefined ? max : Number(bits);
    if (!Number.isInteger(n) || n < 0 || n > max || (bits !== undefined && !/^\d+$/.test(bits))) {
      throw new TlsdockError('usage', `--permit ${value}: the prefix length must be a whole number from 0 to ${max}.`);
    }
    return { ...nc, ip: [...nc.ip, `${addr}/${n}`] };
  }
  if (!/^\.?[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?$/.test(v) || v.includes('..')) {
    throw new TlsdockError('usage', `--permit ${value}: give a DNS name (ai-lab.example.com), an IP address or a CIDR range (10.1.0.0/16).`);
  }
  return { ...nc, dns: [...nc.dns, v.replace(/\.$/, '')] };
}

export function dnsPermitted(name: string, subtree: string): boolean {
  const n = name.toLowerCase().replace(/^\*\./, '*.');
  if (subtree.startsWith('.')) return n.endsWith(subtree);
  return n === subtree || n.endsWith(`.${subtree}`);
}

function ipPermitted(ip: string, cidr: string): boolean {
  const [addr, bits] = cidr.split('/');
  if (addr === undefined || bits === undefined) return false;
  const family = isIPv4(addr) ? 'ipv4' : 'ipv6';
  if ((family === 'ipv4') !== isIPv4(ip)) return false;
  const list = new BlockList();
  list.addSubnet(addr, Number(bits), family);
  return list.check(ip, family);
}

/** Whether a CA with these constraints may sign for `name` (what Chromium and OpenSSL will enforce). */
export function isPermitted(nc: NameConstraints | undefined, name: CertName): boolean {
  if (!nc) return true;
  switch (name.kind) {
    case 'dns':
      return nc.dns.length === 0 || nc.dns.some((s) => dnsPermitted(name.value, s));
    case 'ip':
      return nc.ip.length === 0 || nc.ip.some((s) => ipPermitted(name.value, s));
    case 'email': {
      if (nc.email.length === 0) return true;
      const host = name.value.slice(name.value.lastIndexOf('@') + 1);
      return nc.email.some((s) => (s.includes('@') ? s === name.value : dnsPermitted(host, s)));
    }
  }
}

export function describeConstraints(nc: NameConstraints | undefined): string {
  if (!nc) return 'none (this CA can sign for any name)';
  return [...nc.dns, ...nc.ip, ...nc.email].join(', ');
}
