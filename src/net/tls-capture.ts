/**
 * One TLS handshake with a tap on the bytes the server sends, so we can read the chain exactly as
 * sent. Node's `getPeerCertificate(true)` re-links the chain by issuer and drops certificates that
 * do not fit, so it can never show "out of order" or "stray certificate". In TLS 1.2 the server's
 * Certificate handshake message travels in clear text, so we capture it: Node's TLS runs over a JS
 * Duplex that forwards a plain TCP socket and keeps a copy of every byte received, and we parse
 * the record and handshake framing (RFC 5246 §6.2 and §7.4) to pull out the DER certificates in
 * their order. No library we know of exposes this; it is framing only (lengths and types), no ASN.1
 * and no cryptography. In TLS 1.3 the message is encrypted: callers fall back to Node's order.
 */
import { X509Certificate } from 'node:crypto';
import * as net from 'node:net';
import { Duplex } from 'node:stream';
import * as tls from 'node:tls';

export interface CaptureTarget {
  /** The host judged: sent as SNI unless it is an IP. */
  host: string;
  port: number;
  /** Dial this address instead of `host`. */
  connectTo?: string;
  timeoutMs?: number;
}

export interface CaptureOptions {
  minVersion?: tls.SecureVersion;
  maxVersion?: tls.SecureVersion;
  /** OpenSSL cipher string; 'DEFAULT@SECLEVEL=0' lets OpenSSL 3 talk TLS 1.0/1.1 and accept weak keys. */
  ciphers?: string;
  alpn?: string[];
  /**
   * Keep a copy of the bytes received (to read a TLS ≤ 1.2 chain as sent, or spot plain HTTP).
   * Default true; without it Node's native socket is used, about twice as fast on loopback.
   */
  tap?: boolean;
}

export interface Captured {
  protocol: string | null;
  alpn: string | null;
  cipher: string | null;
  /** Node's view of the chain: leaf first, linked by issuer, strays dropped. */
  linkedChain: X509Certificate[];
  /** The chain in the order the server sent it (TLS ≤ 1.2 only), else null. */
  sentChain: Buffer[] | null;
}

export type CaptureFailure =
  | { kind: 'plaintext'; firstLine: string }
  | { kind: 'refused' | 'unresolved' | 'timeout' | 'tls'; message: string; code?: string };

export type CaptureResult = { ok: true; value: Captured } | { ok: false; error: CaptureFailure };

const RECORD_HANDSHAKE = 22;
const RECORD_CHANGE_CIPHER_SPEC = 20;
const HANDSHAKE_CERTIFICATE = 11;

function u24(b: Buffer, at: number): number {
  return (b[at]! << 16) | (b[at + 1]! << 8) | b[at + 2]!;
}

/**
 * The certificates of the first Certificate handshake message in `bytes` (what a TLS ≤ 1.2 server
 * sent), in order; null if there is none in clear text (TLS 1.3, or a truncated capture).
 */
export function parseCertificateMessage(bytes: Buffer): Buffer[] | null {
  // 1. Concatenate the payloads of handshake records until the server switches to encryption.
  const handshake: Buffer[] = [];
  for (let at = 0; at + 5 <= bytes.length;) {
    const type = bytes[at]!;
    const len = bytes.readUInt16BE(at + 3);
    if (at + 5 + len > bytes.length) break;
    if (type === RECORD_CHANGE_CIPHER_SPEC) break;
    if (type === RECORD_HANDSHAKE) handshake.push(bytes.subarray(at + 5, at + 5 + len));
    at += 5 + len;
  }
  const hs = Buffer.concat(handshake);
  // 2. Walk the handshake messages (type, 24-bit length, body) to the Certificate message.
  for (let at = 0; at + 4 <= hs.length;) {
    const type = hs[at]!;
    const len = u24(hs, at + 1);
    if (at + 4 + len > hs.length) return null;
    if (type === HANDSHAKE_CERTIFICATE) {
      const body = hs.subarray(at + 4, at + 4 + len);
      const total = u24(body, 0);
      const certs: Buffer[] = [];
      for (let p = 3; p + 3 <= Math.min(body.length, 3 + total);) {
        const n = u24(body, p);
        certs.push(Buffer.from(body.subarray(p + 3, p + 3 + n)));
        p += 3 + n;
      }
      return certs;
    }
    at += 4 + len;
  }
  return null;
}

/** A TCP connection wrapped in a Duplex that keeps a copy of everything received. */
function tappedConnection(address: string, port: number): { stream: Duplex; received: () => Buffer; socket: net.Socket } {
  const socket = net.connect({ host: address, port });
  const chunks: Buffer[] = [];
  let size = 0;
  const stream = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      socket.write(chunk, (e) => cb(e ?? null));
    },
    final(cb) {
      socket.end();
      cb();
    },
    destroy(err, cb) {
      socket.destroy();
      cb(err);
    },
  });
  socket.on('data', (d: Buffer) => {
    // Only the handshake matters; stop copying once well past any sane certificate chain.
    if (size < 256 * 1024) {
      chunks.push(d);
      size += d.length;
    }
    stream.push(d);
  });
  socket.on('end', () => stream.push(null));
  socket.on('error', (e) => stream.destroy(e));
  return { stream, received: () => Buffer.concat(chunks), socket };
}

function linkedChain(socket: tls.TLSSocket): X509Certificate[] {
  const chain: X509Certificate[] = [];
  const seen = new Set<string>();
  let c: tls.DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  while (c && c.raw && !seen.has(c.fingerprint256)) {
    seen.add(c.fingerprint256);
    chain.push(new X509Certificate(c.raw));
    c = c.issuerCertificate;
  }
  return chain;
}

function looksLikeHttp(bytes: Buffer): string | undefined {
  const head = bytes.subarray(0, 200).toString('latin1');
  return /^HTTP\/\d/.test(head) ? head.split(/\r?\n/)[0] : undefined;
}

/** Handshake once (never trusting: we only read what the server presents) and report what was seen. */
export function captureTls(target: CaptureTarget, opts: CaptureOptions = {}): Promise<CaptureResult> {
  const address = target.connectTo ?? target.host;
  const timeoutMs = target.timeoutMs ?? 10_000;
  return new Promise((resolve) => {
    const tap = opts.tap !== false;
    const tapped = tap ? tappedConnection(address, target.port) : undefined;
    const received = tapped ? tapped.received : () => Buffer.alloc(0);
    let settled = false;
    const done = (r: CaptureResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      tlsSocket.destroy();
      tapped?.socket.destroy();
      resolve(r);
    };
    const tlsSocket = tls.connect({
      ...(tapped ? { socket: tapped.stream } : { host: address, port: target.port }),
      servername: net.isIP(target.host) ? undefined : target.host,
      rejectUnauthorized: false, // we diagnose the certificate; nothing is sent over this connection
      minVersion: opts.minVersion ?? 'TLSv1',
      maxVersion: opts.maxVersion,
      ciphers: opts.ciphers,
      ALPNProtocols: opts.alpn ?? ['h2', 'http/1.1'],
    });
    const timer = setTimeout(() => {
      const http = looksLikeHttp(received());
      done(http ? { ok: false, error: { kind: 'plaintext', firstLine: http } } : { ok: false, error: { kind: 'timeout', message: `no TLS answer from ${address}:${target.port} within ${timeoutMs} ms` } });
    }, timeoutMs);
    tlsSocket.once('secureConnect', () => {
      const protocol = tlsSocket.getProtocol();
      done({
        ok: true,
        value: {
          protocol,
          alpn: tlsSocket.alpnProtocol || null,
          cipher: tlsSocket.getCipher()?.name ?? null,
          linkedChain: linkedChain(tlsSocket),
          sentChain: protocol === 'TLSv1.3' || !tap ? null : parseCertificateMessage(received()),
        },
      });
    });
    const fail = (e: NodeJS.ErrnoException) => {
      const http = looksLikeHttp(received());
      if (http) return done({ ok: false, error: { kind: 'plaintext', firstLine: http } });
      const kind = e.code === 'ECONNREFUSED' ? 'refused' : e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN' ? 'unresolved' : 'tls';
      done({ ok: false, error: { kind, message: e.message, code: e.code } });
    };
    tlsSocket.once('error', fail);
    tapped?.socket.once('error', fail);
    tlsSocket.once('close', () => fail(Object.assign(new Error('the server closed the connection during the handshake'), { code: 'ECONNRESET' })));
  });
}

/** Send a plain HTTP request: does this port answer in HTTP? (For servers that wait silently on a TLS hello.) */
export function probePlainHttp(target: CaptureTarget, timeoutMs = 2000): Promise<string | undefined> {
  const address = target.connectTo ?? target.host;
  return new Promise((resolve) => {
    const socket = net.connect({ host: address, port: target.port });
    let data = Buffer.alloc(0);
    const finish = (v: string | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => finish(looksLikeHttp(data)), timeoutMs);
    socket.on('connect', () => socket.write(`HEAD / HTTP/1.0\r\nHost: ${target.host}\r\n\r\n`));
    socket.on('data', (d: Buffer) => {
      data = Buffer.concat([data, d]);
      if (data.includes('\n')) finish(looksLikeHttp(data));
    });
    socket.on('error', () => finish(undefined));
    socket.on('end', () => finish(looksLikeHttp(data)));
  });
}
