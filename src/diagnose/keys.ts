/**
 * Keys: RSA size, whether the private key belongs to the certificate, whether it is encrypted.
 * Measured with Chromium 156: a 1024-bit RSA leaf under a local CA loads; a 512-bit one cannot even
 * complete a handshake (no RSA-PSS signature fits in 512 bits → ERR_SSL_VERSION_OR_CIPHER_MISMATCH).
 * Chromium's path builder refuses RSA under 1024 bits anywhere (ERR_CERT_WEAK_KEY), and under a
 * public root anything under 2048 (CertVerifyProc::ExaminePublicKeys).
 */
import type { KeyObject } from 'node:crypto';
import { keysMatch } from '../pki/keys.js';
import type { CertInfo } from './cert-info.js';
import { capitalize, describeCert, roleAt, type FixContext } from './context.js';
import { finding, type ChromiumError, type Finding } from './findings.js';
import type { AnchorSource } from './trust.js';

/** The smallest RSA key that can make an RSA-PSS-SHA256 signature: 2·32 + 2 bytes. */
const MIN_PSS_BITS = 528;

export function rsaSizeFindings(path: readonly CertInfo[], anchor: AnchorSource | 'peer' | undefined, ctx: FixContext): Finding[] {
  const out: Finding[] = [];
  path.forEach((cert, i) => {
    const key = cert.publicKey;
    if (key.type !== 'rsa' || key.bits >= 2048) return;
    let err: ChromiumError | null = null;
    if (i === 0 && key.bits < MIN_PSS_BITS) err = 'ERR_SSL_VERSION_OR_CIPHER_MISMATCH';
    else if (anchor && anchor !== 'peer' && (key.bits < 1024 || anchor === 'public')) err = 'ERR_CERT_WEAK_KEY';
    const what = describeCert(cert, roleAt(path, i));
    const note = err ? '' : '; Chromium accepts it from a local CA, but OpenSSL 3 at security level 2 (Debian and Ubuntu\'s default, which Jupyter uses) refuses to load it';
    out.push(finding('rsa-key-too-small', 'error', `${capitalize(what)} has a ${key.bits}-bit RSA key, under the 2048 bits everything now expects${note}.`,
      i === 0 ? ctx.issueCommand : `re-issue ${what} with a 2048-bit or larger key`, err));
  });
  return out;
}

export interface KeyFacts {
  file: string;
  key?: KeyObject;
  encrypted: boolean;
}

/** The certificate a usable key belongs to, if any. */
export function keyOwner(certs: readonly CertInfo[], keys: readonly KeyFacts[]): CertInfo | undefined {
  return certs.find((c) => keys.some((k) => k.key && keysMatch(k.key, c.x509.publicKey)));
}

/** key-mismatch: keys were given (and could be read) but none belongs to the server certificate. */
export function keyMismatchFindings(leaf: CertInfo, keys: readonly KeyFacts[], ctx: FixContext): Finding[] {
  const usable = keys.filter((k) => k.key);
  if (usable.length === 0 || usable.some((k) => keysMatch(k.key!, leaf.x509.publicKey))) return [];
  const where = ctx.fileOf?.(leaf);
  return [finding('key-mismatch', 'error', `The private key in ${usable[0]!.file} does not belong to the certificate for ${leaf.name}${where ? ` in ${where}` : ''}; the server will refuse to start or fail every handshake.`,
    `find the key made together with this certificate, or make a new pair: ${ctx.issueCommand}`)];
}

export function encryptedKeyFindings(keys: readonly KeyFacts[]): Finding[] {
  return keys.filter((k) => k.encrypted).map((k) => finding('key-encrypted', 'error',
    `The private key in ${k.file} is encrypted; Jupyter and most servers will stop at "Enter PEM pass phrase" instead of starting.`,
    `tlsdock convert ${k.file} --to pem --out ${k.file.replace(/(\.[a-z0-9]+)?$/i, '-decrypted.pem')} --password-file PASSWORD_FILE`));
}
