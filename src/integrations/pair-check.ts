import { X509Certificate } from 'node:crypto';
import { isTlsdockError } from '../errors.js';
import { keysMatch } from '../pki/keys.js';
import { parseMaterial, type Material } from '../pki/material.js';
import { parseName, type CertName } from '../pki/names.js';
import { formatDuration } from './duration.js';

/** What reading one file gave: its bytes, or why there are none. */
export type FileRead = { bytes: Uint8Array } | { error: 'missing' | 'unreadable'; detail: string };

/** Why a pair must be replaced. Stable ids: they appear in `ensure --json`. */
export type RenewReasonId =
  | 'missing'
  | 'unreadable'
  | 'not-pem'
  | 'invalid'
  | 'encrypted-key'
  | 'key-mismatch'
  | 'other-ca'
  | 'not-yet-valid'
  | 'expired'
  | 'expiring'
  | 'names'
  | 'key-mode';

export interface RenewReason {
  id: RenewReasonId;
  message: string;
}

export interface PairFacts {
  cert: FileRead;
  key: FileRead;
  certPath: string;
  keyPath: string;
  /** Every name the certificate must carry in its SAN. */
  names: readonly CertName[];
  /** The CA that must have signed it: the one on the volume now. */
  caCert: X509Certificate;
  now: Date;
  renewBeforeMs: number;
}

export type PairVerdict =
  | { keep: true; notAfter: Date; serial: string; fingerprint256: string }
  | { keep: false; reason: RenewReason };

const renew = (id: RenewReasonId, message: string): PairVerdict => ({ keep: false, reason: { id, message } });

/** The SAN entries of a certificate as canonical names (never the CN: browsers ignore it). */
export function sanNames(cert: X509Certificate): CertName[] {
  const out: CertName[] = [];
  for (const entry of (cert.subjectAltName ?? '').split(/,\s*/)) {
    const m = /^(DNS|IP Address|email):(.*)$/.exec(entry.trim());
    if (!m) continue;
    try { out.push(parseName(m[2]!.replace(/^"|"$/g, ''))); } catch { /* a SAN we could not have written */ }
  }
  return out;
}

/** Whether a SAN list covers a name: the same name, or a wildcard one label above it. */
export function covers(san: readonly CertName[], name: CertName): boolean {
  return san.some((s) => {
    if (s.kind !== name.kind) return false;
    if (s.value === name.value) return true;
    if (s.kind !== 'dns' || !s.value.startsWith('*.') || name.value.startsWith('*.')) return false;
    const dot = name.value.indexOf('.');
    return dot > 0 && name.value.slice(dot + 1) === s.value.slice(2);
  });
}

async function parse(read: { bytes: Uint8Array }, path: string): Promise<Material | RenewReason> {
  try {
    return await parseMaterial(read.bytes, { source: path });
  } catch (e) {
    if (isTlsdockError(e) && e.code === 'bad-password') return { id: 'encrypted-key', message: `${path} is password-protected, which a server cannot open unattended` };
    return { id: 'invalid', message: isTlsdockError(e) ? e.message.replace(/\.$/, '') : `${path} cannot be parsed` };
  }
}

/**
 * Decide whether an existing certificate/key pair can stay, the way a server (and a browser) will
 * judge it. Pure: the caller reads the files. Each check names what a server or browser would trip on:
 * servers such as Jupyter start happily with a DER, mismatched or unreadable pair and then fail
 * every handshake, so these are checked here rather than discovered by users.
 */
export async function judgePair(f: PairFacts): Promise<PairVerdict> {
  for (const [read, path, what] of [[f.cert, f.certPath, 'certificate'], [f.key, f.keyPath, 'key']] as const) {
    if ('error' in read) return renew(read.error, read.error === 'missing' ? `no ${what} at ${path}` : `${path} cannot be read (${read.detail})`);
  }
  const certRead = f.cert as { bytes: Uint8Array };
  const keyRead = f.key as { bytes: Uint8Array };
  const certM = await parse(certRead, f.certPath);
  if ('id' in certM) return renew(certM.id, certM.message);
  const keyM = await parse(keyRead, f.keyPath);
  if ('id' in keyM) return renew(keyM.id, keyM.message);
  if (certM.format !== 'pem') return renew('not-pem', `${f.certPath} is ${certM.format.toUpperCase()}, but servers read PEM`);
  if (keyM.format !== 'pem') return renew('not-pem', `${f.keyPath} is ${keyM.format.toUpperCase()}, but servers read PEM`);
  const leaf = certM.certs[0];
  const key = keyM.keys[0];
  if (!leaf) return renew('invalid', `${f.certPath} holds no certificate`);
  if (!key) return renew('invalid', `${f.keyPath} holds no private key`);
  if (!key.key) return renew('encrypted-key', `${f.keyPath} is password-protected, which a server cannot open unattended`);
  if (!keysMatch(key.key, leaf.x509.publicKey)) return renew('key-mismatch', `the key ${f.keyPath} does not belong to the certificate ${f.certPath}`);
  if (!leaf.x509.checkIssued(f.caCert) || !leaf.x509.verify(f.caCert.publicKey)) {
    return renew('other-ca', `the certificate was issued by "${leaf.x509.issuer.replace(/\n/g, ', ')}", not by the current CA`);
  }
  const now = f.now.getTime();
  const notBefore = new Date(leaf.x509.validFrom).getTime();
  const notAfter = new Date(leaf.x509.validTo).getTime();
  if (notBefore > now) return renew('not-yet-valid', `the certificate is valid only from ${new Date(notBefore).toISOString()} (is the clock wrong?)`);
  if (notAfter <= now) return renew('expired', `the old certificate expired ${formatDuration(now - notAfter)} ago`);
  if (notAfter - now <= f.renewBeforeMs) return renew('expiring', `the old certificate expires in ${formatDuration(notAfter - now)}`);
  const san = sanNames(leaf.x509);
  const uncovered = f.names.filter((n) => !covers(san, n));
  if (uncovered.length) return renew('names', `the old certificate does not name ${uncovered.map((n) => n.value).join(', ')}`);
  return { keep: true, notAfter: new Date(notAfter), serial: leaf.x509.serialNumber, fingerprint256: leaf.x509.fingerprint256 };
}
