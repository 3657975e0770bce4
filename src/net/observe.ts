/**
 * Everything `check` learns from a live server: the chain as sent, the protocol and ALPN it
 * negotiates, whether it still accepts TLS 1.0/1.1, and whether the port speaks plain HTTP.
 *
 * Three handshakes run at once, so on a real network the wall time is about one connection:
 *  - the main one, offering TLS 1.0–1.3 (the server picks its best): protocol, ALPN, cipher;
 *  - one capped at TLS 1.2 and tapped, whose Certificate message is in clear text: the chain in the
 *    order sent (for a TLS 1.3-only server we fall back to Node's linked order), and the first
 *    bytes of a plain-HTTP answer;
 *  - one capped at TLS 1.1, to see whether obsolete versions are still offered.
 * Only the capped one goes through the JS tap, which costs about twice a native handshake.
 * The client side of the last two uses `DEFAULT@SECLEVEL=0`: OpenSSL 3's default security level
 * refuses TLS < 1.2 (and weak keys) in the client itself, which would hide what the server offers.
 */
import { X509Certificate } from 'node:crypto';
import { TlsdockError } from '../errors.js';
import { captureTls, probePlainHttp, type CaptureFailure, type CaptureTarget } from './tls-capture.js';

export interface ServerFacts {
  host: string;
  port: number;
  address: string;
  /** The port answered in plain HTTP (its first line, e.g. "HTTP/1.1 400 Bad Request"). */
  plainHttp?: string;
  protocol: string | null;
  alpn: string | null;
  cipher: string | null;
  /** Certificates leaf first: as sent when `order` is 'as-sent', else as Node links them. */
  chain: X509Certificate[];
  order: 'as-sent' | 'linked';
  /** 'TLSv1' or 'TLSv1.1' when the server still accepts one of them, else null. */
  legacyProtocol: string | null;
}

const LENIENT = 'DEFAULT@SECLEVEL=0';

function networkError(e: CaptureFailure, address: string, port: number): TlsdockError {
  if (e.kind === 'refused') return new TlsdockError('network', `Nothing is listening on ${address}:${port} (connection refused).`, { fix: 'start the server, or check the port' });
  if (e.kind === 'unresolved') return new TlsdockError('network', `The name ${address} does not resolve.`, { fix: `check the name, or dial an address with --connect-to` });
  if (e.kind === 'timeout') return new TlsdockError('network', `No TLS answer from ${address}:${port}: ${e.message}.`);
  if (e.kind === 'plaintext') return new TlsdockError('network', `${address}:${port} answers in plain HTTP.`);
  return new TlsdockError('network', `The TLS handshake with ${address}:${port} failed: ${e.message.replace(/^[^:]*routines:[^:]*:/, '')}.`);
}

export async function observeServer(target: CaptureTarget): Promise<ServerFacts> {
  const address = target.connectTo ?? target.host;
  const [main, capped, legacy] = await Promise.all([
    captureTls(target, { ciphers: LENIENT, tap: false }),
    captureTls(target, { maxVersion: 'TLSv1.2', ciphers: LENIENT }),
    captureTls(target, { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: LENIENT, tap: false }),
  ]);
  const base = { host: target.host, port: target.port, address };
  if (!main.ok) {
    // The tapped handshake saw the first bytes: an HTTP status line means plain HTTP on this port.
    let plain = !capped.ok && capped.error.kind === 'plaintext' ? capped.error.firstLine : undefined;
    // Some HTTP servers wait in silence for the end of headers that a TLS hello never sends.
    if (!plain && (main.error.kind === 'timeout' || main.error.kind === 'tls')) plain = await probePlainHttp(target);
    if (plain) return { ...base, plainHttp: plain, protocol: null, alpn: null, cipher: null, chain: [], order: 'linked', legacyProtocol: null };
    throw networkError(main.error, address, target.port);
  }
  const m = main.value;
  const sent = capped.ok ? capped.value.sentChain : null;
  let chain = m.linkedChain;
  let order: ServerFacts['order'] = 'linked';
  if (sent && sent.length > 0 && m.linkedChain[0] && sent[0]!.equals(m.linkedChain[0].raw)) {
    chain = sent.map((der) => new X509Certificate(der));
    order = 'as-sent';
  }
  const legacyProtocol = legacy.ok && (legacy.value.protocol === 'TLSv1' || legacy.value.protocol === 'TLSv1.1') ? legacy.value.protocol : null;
  return { ...base, protocol: m.protocol, alpn: m.alpn, cipher: m.cipher, chain, order, legacyProtocol };
}
