/**
 * Where the proxy's certificates come from. Two kinds exist, both behind one small interface so the
 * TLS front does not care: short-lived certificates from the local CA, renewed in memory
 * (cert-local-ca.ts), and files the user manages, watched and reloaded (cert-files.ts).
 */
import { createHash, type X509Certificate } from 'node:crypto';
import { createSecureContext as tlsContext } from 'node:tls';
import { TlsdockError } from '../errors.js';
import { describeKey, keysMatch } from '../pki/keys.js';
import { parseMaterial } from '../pki/material.js';
import type { CertFacts } from './events.js';

/** One certificate in service: its chain, its key and what is needed to pick, show and renew it. */
export interface ServedCert {
  /** The leaf first, then intermediates (PEM). */
  certPem: string;
  keyPem: string;
  /** The SAN entries (DNS names and IPs), as the certificate holds them. */
  names: string[];
  notBefore: Date;
  notAfter: Date;
  fingerprintSha256: string;
  /** 'ECDSA P-256', 'RSA 2048'. */
  key: string;
  source: 'local-ca' | 'file';
  files?: { cert: string; key: string };
  /** The parsed leaf, for SNI matching (checkHost / checkIP). */
  leaf: X509Certificate;
  /** Treated as lapsed this long before notAfter (default EXPIRY_MARGIN_MS). */
  marginMs?: number;
}

export interface CertSource {
  /**
   * True when the source can always make a fresh certificate (the local CA): then a lapsed one is
   * never shown, a handshake waits for (or is refused until) the new one. Files cannot be conjured up,
   * so a lapsed file is still served (the browser's error names the problem) and reported.
   */
  readonly renewsItself: boolean;
  /** The certificates to serve now; the first also answers clients that send no SNI or an unknown name. */
  current(): readonly ServedCert[];
  /** Load or issue the first certificates; throws a TlsdockError when there is nothing valid to serve. */
  start(): Promise<void>;
  /**
   * Resolve once no certificate in service is expired (or about to be): the local CA issues a new one,
   * files are read again. Called before a handshake when the clock says the current one has lapsed
   * (after a suspended laptop wakes up, for instance).
   */
  ensureFresh(): Promise<void>;
  /** Listen for every change of the set in service. */
  onChange(listener: (certs: readonly ServedCert[]) => void): void;
  /** Stop timers and watchers. */
  stop(): void;
}

/** A certificate is treated as lapsed this long before its notAfter, so no handshake ever races the clock. */
export const EXPIRY_MARGIN_MS = 60_000;

export function isLapsed(cert: ServedCert, now = Date.now()): boolean {
  return cert.notAfter.getTime() - (cert.marginMs ?? EXPIRY_MARGIN_MS) <= now;
}

export function certFacts(c: ServedCert): CertFacts {
  return { names: c.names, notAfter: c.notAfter.toISOString(), fingerprintSha256: c.fingerprintSha256, source: c.source, ...(c.files ? { files: c.files } : {}) };
}

/** The DNS and IP entries of a certificate's subjectAltName, in order. */
export function sanNamesOf(leaf: X509Certificate): string[] {
  const san = leaf.subjectAltName ?? '';
  const out: string[] = [];
  for (const part of san.split(/,\s*/)) {
    const m = /^(DNS|IP Address):(.*)$/.exec(part.trim());
    const value = m?.[2]?.replace(/^"|"$/g, '');
    if (!value) continue;
    // OpenSSL prints IPv6 in full (0:0:0:0:0:0:0:1); show it the way people type it (::1).
    out.push(m![1] === 'IP Address' && value.includes(':') ? new URL(`http://[${value}]/`).hostname.slice(1, -1) : value);
  }
  return out;
}

/**
 * Check a certificate chain and key before they are put in service: both parse, the key is the
 * certificate's, the certificate is valid now, and OpenSSL accepts the pair. Every refusal is one
 * sentence saying why (a half-written file, a key from another pair, an expired certificate).
 */
export async function servedCertFromPem(
  certBytes: Uint8Array,
  keyBytes: Uint8Array,
  opts: { source: 'local-ca' | 'file'; files?: { cert: string; key: string }; password?: string; now?: number; marginMs?: number; checkValidity?: boolean },
): Promise<ServedCert> {
  const certWhere = opts.files?.cert ?? 'the certificate';
  const keyWhere = opts.files?.key ?? 'the key';
  const certMaterial = await parseMaterial(certBytes, { source: certWhere, password: opts.password });
  const keyMaterial = certBytes === keyBytes ? certMaterial : await parseMaterial(keyBytes, { source: keyWhere, password: opts.password });
  const leaf = certMaterial.certs[0];
  if (!leaf) throw new TlsdockError('bad-input', `${certWhere} holds no certificate.`);
  const key = keyMaterial.keys[0];
  if (!key) throw new TlsdockError('bad-input', `${keyWhere} holds no private key.`);
  if (!key.key) throw new TlsdockError('bad-password', `The key ${keyWhere} is encrypted; the proxy needs an unencrypted key (the library also takes its password: keyPassword).`, { fix: `openssl pkey -in ${keyWhere} -out key.pem` });
  if (!keysMatch(key.key, leaf.x509.publicKey)) {
    throw new TlsdockError('bad-input', `The key ${keyWhere} does not belong to the certificate ${certWhere} (they are from different pairs).`);
  }
  const now = opts.now ?? Date.now();
  const notBefore = new Date(leaf.x509.validFrom);
  const notAfter = new Date(leaf.x509.validTo);
  const check = opts.checkValidity !== false;
  if (check && notAfter.getTime() <= now) throw new TlsdockError('bad-input', `${certWhere} expired on ${notAfter.toISOString()}.`, { fix: 'renew it (tlsdock issue …), or drop --cert/--key to let tlsdock issue short-lived certificates itself' });
  if (check && notBefore.getTime() > now + 5 * 60_000) throw new TlsdockError('bad-input', `${certWhere} is not valid before ${notBefore.toISOString()} (check this machine's clock).`);
  const certPem = certMaterial.certs.map((c) => c.pem).join('');
  const keyPem = key.key.export({ type: 'pkcs8', format: 'pem' }).toString();
  try {
    tlsContext({ cert: certPem, key: keyPem });
  } catch (e) {
    throw new TlsdockError('bad-input', `OpenSSL refuses ${certWhere} with ${keyWhere}: ${(e as Error).message}.`, { cause: e });
  }
  return {
    certPem,
    keyPem,
    names: sanNamesOf(leaf.x509),
    notBefore,
    notAfter,
    fingerprintSha256: createHash('sha256').update(leaf.der).digest('hex').toUpperCase().replace(/(..)(?!$)/g, '$1:'),
    key: describeKey(key.key),
    source: opts.source,
    files: opts.files,
    leaf: leaf.x509,
    marginMs: opts.marginMs,
  };
}
