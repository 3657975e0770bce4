/**
 * What the connection itself says: plain HTTP on an https:// port, and old TLS versions.
 * Measured with Chromium 156: an HTTP server visited as https:// → ERR_SSL_PROTOCOL_ERROR; a
 * server that speaks only TLS 1.0 or 1.1 → ERR_SSL_VERSION_OR_CIPHER_MISMATCH (Chromium offers
 * TLS 1.2 and 1.3 only). A server that also accepts 1.0/1.1 loads fine over 1.2+.
 */
import { finding, type Finding } from './findings.js';

export interface TransportFacts {
  host: string;
  port: number;
  /** The address dialled (differs from host with --connect-to). */
  address: string;
  /** The first line of a plain-HTTP answer, when the port is not TLS at all. */
  plainHttp?: string;
  protocol: string | null;
  legacyProtocol: string | null;
}

const OLD = new Set(['SSLv3', 'TLSv1', 'TLSv1.1']);

function hostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

export function transportFindings(t: TransportFacts): Finding[] {
  const where = hostPort(t.host, t.port);
  if (t.plainHttp) {
    return [finding('http-on-https-port', 'error', `${where} speaks plain HTTP (it answered "${t.plainHttp}"), not TLS, so https:// cannot work there.`,
      `open http://${where}/ instead, or put TLS in front of it: tlsdock proxy --to http://${hostPort(t.address, t.port)}`, 'ERR_SSL_PROTOCOL_ERROR')];
  }
  if (t.protocol && OLD.has(t.protocol)) {
    return [finding('tls-version-too-old', 'error', `The server speaks at most ${t.protocol}; browsers require TLS 1.2 or 1.3.`,
      'enable TLS 1.2 and 1.3 on the server (e.g. Python: ssl.TLSVersion.TLSv1_2 as minimum_version; nginx: ssl_protocols TLSv1.2 TLSv1.3)', 'ERR_SSL_VERSION_OR_CIPHER_MISMATCH')];
  }
  if (t.legacyProtocol) {
    return [finding('legacy-tls-offered', 'warning', `The server still accepts ${t.legacyProtocol}; browsers never use it, but scanners and audits flag it.`,
      'set the server\'s minimum protocol to TLS 1.2 (nginx: ssl_protocols TLSv1.2 TLSv1.3; Python: context.minimum_version = ssl.TLSVersion.TLSv1_2)')];
  }
  return [];
}
