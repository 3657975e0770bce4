/**
 * The TLS side of the proxy: protocol and cipher policy, and which certificate each handshake gets.
 *
 * Policy (what testssl.sh and Mozilla's "intermediate" profile ask for): TLS 1.2 and 1.3 only; AEAD
 * suites with forward secrecy only (no CBC, no RSA key exchange, no DHE with weak groups); the
 * server's cipher order wins; no renegotiation; ALPN http/1.1.
 *
 * Certificates: an SNICallback picks, per handshake, the certificate whose SAN covers the requested
 * name (one certificate per host name); clients that send no SNI (an IP in the URL) get the first
 * one, through the server's default context. `apply()` swaps both at once, so a renewal or a reload
 * takes effect for the next handshake while open connections keep theirs: no restart, no drop.
 */
import { constants, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { createSecureContext, type SecureContext, type SecureContextOptions, type Server as TlsServer, type TlsOptions } from 'node:tls';
import { isLapsed, type CertSource, type ServedCert } from './cert-source.js';

export const TLS_CIPHERS = [
  // TLS 1.3 (always AEAD + ECDHE); listed so that the order is ours.
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  // TLS 1.2: ECDHE + AEAD only.
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

export const TLS_GROUPS = 'X25519:P-256:P-384';

/** Everything but the certificates, for https.createServer and every secure context we make. */
export function tlsPolicy(): TlsOptions & SecureContextOptions {
  return {
    minVersion: 'TLSv1.2',
    maxVersion: 'TLSv1.3',
    ciphers: TLS_CIPHERS,
    ecdhCurve: TLS_GROUPS,
    honorCipherOrder: true,
    // Client-initiated renegotiation is a cheap way to burn server CPU; nothing legitimate needs it.
    secureOptions: constants.SSL_OP_NO_RENEGOTIATION,
    ALPNProtocols: ['http/1.1'],
  };
}

interface Entry {
  cert: ServedCert;
  context: SecureContext;
}

const MAX_CACHED_NAMES = 512;

export class TlsFront {
  private entries: Entry[] = [];
  /**
   * Session-ticket keys. OpenSSL seals tickets with the server's default context (also for names
   * served from an SNI context), and setSecureContext() would draw new keys at every renewal: pass
   * the same ones each time, so sessions survive a renewal, and share them across --workers.
   */
  private ticketKeys: Buffer = randomBytes(48);
  /** servername → entry index; cleared at every apply(). Bounded: names come from clients. */
  private cache = new Map<string, Entry>();
  private readonly servers: TlsServer[] = [];

  constructor(private readonly source: CertSource) {
    this.apply(source.current());
    source.onChange((certs) => this.apply(certs));
  }

  /**
   * Options for a new server: the policy, the default certificate, and an SNI callback when there is
   * more than one certificate to choose from (with one, the default context serves everyone and no
   * handshake pays for a call into JavaScript).
   */
  serverOptions(): TlsOptions {
    const base: TlsOptions = { ...this.contextOptions() };
    if (this.entries.length > 1) base.SNICallback = (name, cb) => this.select(name, cb);
    return base;
  }

  /** Keep this server's default context in step with every change. */
  attach(server: TlsServer): void {
    this.servers.push(server);
    server.setSecureContext(this.contextOptions());
  }

  apply(certs: readonly ServedCert[]): void {
    if (certs.length === 0) return;
    this.entries = groupByNames(certs).map((group) => ({
      cert: group[0]!,
      context: createSecureContext({ ...tlsPolicy(), cert: group.map((c) => c.certPem), key: group.map((c) => c.keyPem) }),
    }));
    this.cache = new Map();
    for (const s of this.servers) s.setSecureContext(this.contextOptions());
  }

  setTicketKeys(keys: Buffer): void {
    this.ticketKeys = keys;
    this.apply(this.source.current());
  }

  private contextOptions(): SecureContextOptions {
    return { ...tlsPolicy(), ...this.defaultPair(), ticketKeys: this.ticketKeys };
  }

  /** The entry for a servername: the first certificate whose SAN covers it, else the default one. */
  entryFor(servername: string): Entry {
    const name = servername.toLowerCase();
    let hit = this.cache.get(name);
    if (hit) return hit;
    hit = this.entries.find((e) => covers(e.cert, name)) ?? this.entries[0]!;
    if (this.cache.size < MAX_CACHED_NAMES) this.cache.set(name, hit);
    return hit;
  }

  private select(servername: string, cb: (err: Error | null, ctx?: SecureContext) => void): void {
    const entry = this.entryFor(servername);
    if (!isLapsed(entry.cert)) return cb(null, entry.context);
    // Lapsed (the clock jumped: a suspended machine woke up). Wait for the renewal rather than show it.
    this.source.ensureFresh().then(
      () => cb(null, this.entryFor(servername).context),
      () => (this.source.renewsItself ? cb(new Error('no valid certificate')) : cb(null, this.entryFor(servername).context)),
    );
  }

  private defaultPair(): { cert: string[]; key: string[] } {
    const first = this.entries[0]?.cert;
    const group = first ? this.source.current().filter((c) => sameNames(c, first)) : [];
    return { cert: group.map((c) => c.certPem), key: group.map((c) => c.keyPem) };
  }
}

function covers(cert: ServedCert, name: string): boolean {
  return isIP(name) ? cert.leaf.checkIP(name) !== undefined : cert.leaf.checkHost(name, { subject: 'never' }) !== undefined;
}

function sameNames(a: ServedCert, b: ServedCert): boolean {
  return a.names.length === b.names.length && a.names.every((n, i) => n === b.names[i]);
}

/** Certificates for exactly the same names share one context, so an ECDSA and an RSA pair can serve side by side. */
function groupByNames(certs: readonly ServedCert[]): ServedCert[][] {
  const groups: ServedCert[][] = [];
  for (const c of certs) {
    const g = groups.find((x) => sameNames(x[0]!, c) && !x.some((y) => y.key.split(' ')[0] === c.key.split(' ')[0]));
    if (g) g.push(c);
    else groups.push([c]);
  }
  return groups;
}
