/**
 * Listen addresses (`--listen [HOST:]PORT`) and the URLs people should open.
 */
import { isIP, isIPv6 } from 'node:net';
import { TlsdockError } from '../errors.js';

export interface ListenAddress {
  /** '::' (every address, IPv6 and IPv4), '0.0.0.0', '127.0.0.1', '::1', or a host name. */
  host: string;
  port: number;
}

export const DEFAULT_LISTEN_PORT = 8443;
/** Dual-stack: on Linux '::' also accepts IPv4 (as ::ffff:a.b.c.d). */
export const ANY_HOST = '::';

/**
 * Where to listen instead when listening on `l` failed with `code`: a kernel without IPv6 (some
 * containers, `ipv6.disable=1`) refuses the dual-stack wildcard, and every IPv4 address is then the
 * same promise. Anything else (a port in use, a specific address) has no stand-in.
 */
export function ipv4Fallback(l: ListenAddress, code: string | undefined): ListenAddress | undefined {
  return l.host === ANY_HOST && (code === 'EAFNOSUPPORT' || code === 'EADDRNOTAVAIL') ? { host: '0.0.0.0', port: l.port } : undefined;
}

/** `8443`, `:8443`, `127.0.0.1:8443`, `[::1]:8443`, `localhost:8443`, `0` (any free port). */
export function parseListen(text: string, what = '--listen'): ListenAddress {
  const t = text.trim();
  const bad = () => new TlsdockError('usage', `${what} ${text}: expected [HOST:]PORT, such as 8443, 127.0.0.1:8443 or [::1]:8443.`);
  let host = ANY_HOST;
  let portText = t;
  const bracket = /^\[([^\]]+)\]:(\d+)$/.exec(t);
  if (bracket) {
    host = bracket[1]!;
    portText = bracket[2]!;
    if (!isIPv6(host)) throw bad();
  } else if (t.includes(':')) {
    if (t.indexOf(':') !== t.lastIndexOf(':')) throw new TlsdockError('usage', `${what} ${text}: put an IPv6 address in brackets, as in [::1]:8443.`);
    const [h, p] = t.split(':');
    host = h || ANY_HOST;
    portText = p ?? '';
  }
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) throw bad();
  if (host !== ANY_HOST && !isIP(host) && !/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/i.test(host)) throw bad();
  return { host, port: Number(portText) };
}

export function formatHostPort(host: string, port: number): string {
  const h = isIPv6(host) ? `[${host}]` : host;
  return port === 443 ? h : `${h}:${port}`;
}

export function isWildcard(host: string): boolean {
  return host === '::' || host === '0.0.0.0';
}

/**
 * The https URLs to print: for a wildcard listener every name in the certificate (that a browser can
 * type: no wildcards), else the names that point at the listen address itself.
 */
export function urlsFor(listen: readonly ListenAddress[], names: readonly string[]): string[] {
  const urls: string[] = [];
  const add = (host: string, port: number) => {
    const u = `https://${formatHostPort(host, port)}/`;
    if (!urls.includes(u)) urls.push(u);
  };
  for (const l of listen) {
    if (isWildcard(l.host)) {
      for (const n of names) {
        if (n.startsWith('*.')) continue;
        if (l.host === '0.0.0.0' && isIPv6(n)) continue;
        add(n, l.port);
      }
    } else if (l.host === '127.0.0.1' || l.host === '::1' || l.host === 'localhost') {
      add('localhost', l.port);
      add(l.host, l.port);
    } else {
      add(l.host, l.port);
    }
  }
  return urls;
}

/** Where `tlsdock up` forwards by default: Jupyter's port on loopback. */
export const UP_DEFAULT_TO = 'http://127.0.0.1:8888';

/** What changed between two lists of URLs (to tell people where to go now). */
export function urlChanges(before: readonly string[], after: readonly string[]): { added: string[]; removed: string[] } {
  return { added: after.filter((u) => !before.includes(u)), removed: before.filter((u) => !after.includes(u)) };
}
