import { X509Certificate } from 'node:crypto';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { TlsdockError } from '../errors.js';

export interface ProbeTarget {
  /** The host name judged: sent as SNI (unless it is an IP) and checked against the certificate. */
  host: string;
  port: number;
  /** Dial this address instead of resolving `host` (like curl --connect-to). */
  connectTo?: string;
  timeoutMs?: number;
  alpn?: string[];
}

export interface ProbeResult {
  host: string;
  port: number;
  address: string;
  /** Negotiated protocol, e.g. 'TLSv1.3'. */
  protocol: string | null;
  alpn: string | null;
  cipher: string | null;
  /**
   * Certificates the server sent, leaf first. Node reorders the sent chain by issuer and drops
   * strays, so this is the chain as Node links it; `src/net` callers that need the raw order use a TLS 1.2 capture.
   */
  chain: X509Certificate[];
}

/** Parse "https://h:p/", "h:p", "[::1]:p" or "h" into a probe target (port defaults to 443). */
export function parseTarget(input: string): { host: string; port: number; url: string } {
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(input) ? input : `https://${input}`);
  } catch {
    throw new TlsdockError('usage', `"${input}" is not a URL or host:port.`, { fix: 'e.g. tlsdock check https://127.0.0.1:8888' });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'wss:') throw new TlsdockError('usage', `${input} is not an https:// URL; TLS is checked on https:// only.`);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = url.port ? Number(url.port) : 443;
  return { host, port, url: `https://${url.host}${url.pathname === '/' ? '' : url.pathname}` };
}

/** Connect once with SNI, read what the server presents, never judging trust (the doctor does that). */
export function probeTls(target: ProbeTarget): Promise<ProbeResult> {
  const address = target.connectTo ?? target.host;
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: address,
      port: target.port,
      servername: net.isIP(target.host) ? undefined : target.host,
      rejectUnauthorized: false, // we read the certificate to diagnose it; nothing is sent over this connection
      ALPNProtocols: target.alpn ?? ['h2', 'http/1.1'],
      minVersion: 'TLSv1',
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new TlsdockError('network', `No TLS answer from ${address}:${target.port} within ${target.timeoutMs ?? 10_000} ms.`));
    }, target.timeoutMs ?? 10_000);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const chain: X509Certificate[] = [];
      let c: tls.DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
      const seen = new Set<string>();
      while (c && c.raw && !seen.has(c.fingerprint256)) {
        seen.add(c.fingerprint256);
        chain.push(new X509Certificate(c.raw));
        c = c.issuerCertificate;
      }
      const result: ProbeResult = {
        host: target.host,
        port: target.port,
        address,
        protocol: socket.getProtocol(),
        alpn: socket.alpnProtocol || null,
        cipher: socket.getCipher()?.name ?? null,
        chain,
      };
      socket.end();
      resolve(result);
    });
    socket.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (e.code === 'ECONNREFUSED') reject(new TlsdockError('network', `Nothing is listening on ${address}:${target.port} (connection refused).`, { cause: e }));
      else if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') reject(new TlsdockError('network', `The name ${address} does not resolve.`, { cause: e }));
      else if (/wrong version number|packet length too long|http request/i.test(e.message)) reject(new TlsdockError('network', `${address}:${target.port} does not speak TLS (it answered in plain text, probably HTTP).`, { fix: `open http://${target.host}:${target.port}/ instead, or put TLS in front of it: tlsdock proxy --to http://${address}:${target.port}`, cause: e }));
      else reject(new TlsdockError('network', `TLS connection to ${address}:${target.port} failed: ${e.message}.`, { cause: e }));
    });
  });
}
