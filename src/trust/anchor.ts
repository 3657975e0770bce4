import { createHash, X509Certificate } from 'node:crypto';
import { toPem } from '../pki/material.js';

/**
 * What a trust store is asked to trust, and the names tlsdock files it under.
 * `ca`: a CA certificate (NSS flags `C,,`). `peer`: a self-signed server certificate that is not a CA;
 * Chromium accepts it only as a trusted peer (`P,,`) and rejects it as a CA (measured, Chromium 156).
 */
export type AnchorKind = 'ca' | 'peer';

export interface Anchor {
  kind: AnchorKind;
  x509: X509Certificate;
  der: Buffer;
  pem: string;
  /** SHA-256, upper-case hex with colons (as `tlsdock ca show` and browsers print it). */
  fingerprint256: string;
  /** SHA-1, upper-case hex without colons: the id macOS `security` and Windows `certutil` use. */
  sha1: string;
  /** The CN, else the whole subject on one line. */
  name: string;
  /**
   * The NSS nickname tlsdock uses: its subject and a fingerprint prefix, so that uninstall removes only
   * this certificate and a second install finds it. No colon: NSS reads "a:b" as token "a", nickname "b".
   */
  label: string;
  /** Java keystore alias (JKS lower-cases aliases). */
  alias: string;
  /** File name stem for anchor folders (`tlsdock-<name>-<fp>`; no spaces, which update-ca-certificates rewrites). */
  fileStem: string;
}

export function fingerprint256(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex').toUpperCase().replace(/(..)(?!$)/g, '$1:');
}

/** Accept `AB:CD:…`, `abcd…`, `sha256:…` or `SHA256 Fingerprint=AB:…` and return 64 upper-case hex digits, or undefined. */
export function normalizeFingerprint(input: string): string | undefined {
  const hex = input.trim().replace(/^(sha-?256\s*(fingerprint)?\s*[:=]?\s*)/i, '').replace(/[:\s-]/g, '').toUpperCase();
  return /^[0-9A-F]{64}$/.test(hex) ? hex : undefined;
}

/** The CN of a distinguished name as Node prints it ("C=..\nCN=.."), if it has one. */
export function commonName(dn: string): string | undefined {
  const cn = dn.split('\n').find((l) => l.startsWith('CN='));
  return cn?.slice(3);
}

/** The CN of a distinguished name, else the whole name on one line: what to show a person. */
export function displayName(dn: string): string {
  return commonName(dn) ?? dn.replace(/\n/g, ', ');
}

/** Issued by itself and signed with its own key. (Not `checkIssued(cert)`: OpenSSL also demands keyCertSign there, which a self-signed server certificate lacks.) */
export function isSelfSigned(cert: X509Certificate): boolean {
  try {
    return cert.subject === cert.issuer && cert.verify(cert.publicKey);
  } catch {
    return false;
  }
}

export function makeAnchor(cert: X509Certificate, kind: AnchorKind = cert.ca ? 'ca' : 'peer'): Anchor {
  const der = Buffer.from(cert.raw);
  const fp = fingerprint256(der);
  const hex = fp.replace(/:/g, '');
  const name = displayName(cert.subject);
  const printable = name.replace(/[:\u0000-\u001f]/g, '-').slice(0, 64);
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'ca';
  return {
    kind,
    x509: cert,
    der,
    pem: toPem('CERTIFICATE', der),
    fingerprint256: fp,
    sha1: createHash('sha1').update(der).digest('hex').toUpperCase(),
    name,
    label: `tlsdock ${printable} ${hex.slice(0, 16)}`,
    alias: `tlsdock-${hex.slice(0, 16).toLowerCase()}`,
    fileStem: `tlsdock-${slug}-${hex.slice(0, 16).toLowerCase()}`,
  };
}

export type AnchorChoice =
  | { ok: true; anchor: Anchor }
  | { ok: false; reason: 'no-certificate' | 'leaf-without-ca'; message: string };

/**
 * Pick what to trust from the certificates in a file (`--ca`): a self-signed CA (a root) if there is one,
 * else the top-most CA certificate, else a self-signed server certificate (as a peer). A server certificate
 * signed by someone else cannot be trusted by itself: its CA is what must be trusted.
 */
export function chooseAnchor(certs: readonly X509Certificate[]): AnchorChoice {
  if (certs.length === 0) return { ok: false, reason: 'no-certificate', message: 'holds no certificate' };
  const root = certs.find((c) => c.ca && isSelfSigned(c));
  if (root) return { ok: true, anchor: makeAnchor(root, 'ca') };
  const cas = certs.filter((c) => c.ca);
  if (cas.length > 0) {
    // The top-most: the CA that no other CA in the file issued.
    const top = cas.find((c) => !cas.some((o) => o !== c && c.checkIssued(o))) ?? cas[cas.length - 1]!;
    return { ok: true, anchor: makeAnchor(top, 'ca') };
  }
  const selfSigned = certs.find(isSelfSigned);
  if (selfSigned) return { ok: true, anchor: makeAnchor(selfSigned, 'peer') };
  const leaf = certs[0]!;
  return {
    ok: false,
    reason: 'leaf-without-ca',
    message: `holds a server certificate for ${displayName(leaf.subject)} signed by "${displayName(leaf.issuer)}", not that CA`,
  };
}

/** The certificates of a PEM bundle, as base64 bodies without whitespace, to test membership cheaply. */
export function pemBodies(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of text.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)) {
    out.add((m[1] ?? '').replace(/\s+/g, ''));
  }
  return out;
}

export function bundleHas(bundleText: string, anchor: Anchor): boolean {
  return pemBodies(bundleText).has(anchor.der.toString('base64'));
}
