import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { TlsdockError } from '../errors.js';

export type MaterialFormat = 'pem' | 'der' | 'pkcs12';
export type KeyEncoding = 'pkcs8' | 'pkcs1' | 'sec1' | 'encrypted-pkcs8' | 'encrypted-pem';

export interface ParsedCert {
  der: Buffer;
  pem: string;
  x509: X509Certificate;
}

export interface ParsedKey {
  /** Undefined when the key is encrypted and no (right) password was given. */
  key?: KeyObject;
  encoding: KeyEncoding;
  encrypted: boolean;
}

/** Everything found in one file: any mix of certificates, keys and CSRs, in file order. */
export interface Material {
  format: MaterialFormat;
  certs: ParsedCert[];
  keys: ParsedKey[];
  csrPems: string[];
  /** PEM blocks we recognise but do not use (EC PARAMETERS, PUBLIC KEY…). */
  ignored: string[];
}

export interface ParseOptions {
  /** For encrypted keys and PKCS#12. */
  password?: string;
  /** File name for messages. */
  source?: string;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END ([A-Z0-9 ]+)-----/g;

export function toPem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  return `-----BEGIN ${label}-----\n${b64.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END ${label}-----\n`;
}

/** The DER inside the first PEM block of `pem`. */
export function pemToDer(pem: string): Buffer {
  const m = /-----BEGIN [A-Z0-9 ]+-----([\s\S]*?)-----END /.exec(pem);
  if (!m) throw new TlsdockError('bad-input', 'Expected a PEM block (-----BEGIN …-----) and found none.');
  return Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64');
}

function looksLikePem(bytes: Uint8Array): boolean {
  return Buffer.from(bytes.subarray(0, 64 * 1024)).toString('latin1').includes('-----BEGIN ');
}

function certFromDer(der: Buffer, what: string): ParsedCert {
  try {
    return { der, pem: toPem('CERTIFICATE', der), x509: new X509Certificate(der) };
  } catch (e) {
    throw new TlsdockError('bad-input', `${what} is not a valid certificate (${(e as Error).message.replace(/^error:[^:]*:[^:]*::?/, '')}).`, { cause: e });
  }
}

function keyError(e: unknown, what: string): TlsdockError | undefined {
  const code = (e as NodeJS.ErrnoException).code ?? '';
  const msg = (e as Error).message ?? '';
  if (/bad decrypt|wrong password|BAD_DECRYPT/i.test(msg)) return new TlsdockError('bad-password', `The password for the encrypted key in ${what} is wrong.`, { fix: 'check the password file (--password-file F) or TLSDOCK_KEY_PASSWORD' });
  if (code === 'ERR_MISSING_PASSPHRASE' || code === 'ERR_OSSL_CRYPTO_INTERRUPTED_OR_CANCELLED') return undefined;
  return new TlsdockError('bad-input', `${what} holds a private key that cannot be read (${msg.replace(/^error:[^:]*:[^:]*::?/, '')}).`, { cause: e });
}

function keyFromPem(block: string, label: string, what: string, password?: string): ParsedKey {
  const legacyEncrypted = /Proc-Type:\s*4,ENCRYPTED/.test(block);
  const encoding: KeyEncoding = label === 'ENCRYPTED PRIVATE KEY' ? 'encrypted-pkcs8'
    : legacyEncrypted ? 'encrypted-pem'
    : label === 'RSA PRIVATE KEY' ? 'pkcs1' : label === 'EC PRIVATE KEY' ? 'sec1' : 'pkcs8';
  const encrypted = encoding.startsWith('encrypted');
  if (encrypted && password === undefined) return { encoding, encrypted };
  try {
    return { key: createPrivateKey({ key: block, format: 'pem', passphrase: password }), encoding, encrypted };
  } catch (e) {
    const err = keyError(e, what);
    if (err) throw err;
    return { encoding, encrypted };
  }
}

function parsePem(bytes: Uint8Array, what: string, password?: string): Material {
  const text = Buffer.from(bytes).toString('utf8').replace(/\r\n?/g, '\n');
  const out: Material = { format: 'pem', certs: [], keys: [], csrPems: [], ignored: [] };
  const begins = text.match(/-----BEGIN [A-Z0-9 ]+-----/g)?.length ?? 0;
  let found = 0;
  for (const m of text.matchAll(PEM_BLOCK)) {
    found++;
    const [block, label = '', body = '', endLabel] = m;
    const line = text.slice(0, m.index).split('\n').length;
    if (label !== endLabel) throw new TlsdockError('bad-input', `${what} is not valid PEM: the ${label} block on line ${line} ends with END ${endLabel}.`);
    const b64 = body.split('\n').filter((l) => !/^[A-Za-z-]+:/.test(l)).join('').replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length === 0) {
      throw new TlsdockError('bad-input', `${what} is not valid PEM: the ${label} block on line ${line} is not base64 (it may be truncated or edited).`);
    }
    const der = Buffer.from(b64, 'base64');
    switch (label) {
      case 'CERTIFICATE':
      case 'X509 CERTIFICATE':
        out.certs.push(certFromDer(der, `The certificate on line ${line} of ${what}`));
        break;
      case 'PRIVATE KEY':
      case 'RSA PRIVATE KEY':
      case 'EC PRIVATE KEY':
      case 'ENCRYPTED PRIVATE KEY':
        out.keys.push(keyFromPem(block, label, what, password));
        break;
      case 'CERTIFICATE REQUEST':
      case 'NEW CERTIFICATE REQUEST':
        out.csrPems.push(toPem('CERTIFICATE REQUEST', der));
        break;
      default:
        out.ignored.push(label);
    }
  }
  if (found < begins) throw new TlsdockError('bad-input', `${what} is not valid PEM: a BEGIN line has no matching END line (the file may be truncated).`);
  return out;
}

function tryDerKey(der: Buffer, what: string, password?: string): ParsedKey | undefined {
  for (const type of ['pkcs8', 'pkcs1', 'sec1'] as const) {
    try {
      return { key: createPrivateKey({ key: der, format: 'der', type, passphrase: type === 'pkcs8' ? password : undefined }), encoding: type, encrypted: false };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (type === 'pkcs8' && (code === 'ERR_MISSING_PASSPHRASE' || code === 'ERR_OSSL_CRYPTO_INTERRUPTED_OR_CANCELLED')) return { encoding: 'encrypted-pkcs8', encrypted: true };
      if (type === 'pkcs8' && /bad decrypt/i.test((e as Error).message)) throw keyError(e, what);
    }
  }
  return undefined;
}

async function parseDer(bytes: Uint8Array, what: string, password?: string): Promise<Material> {
  const der = Buffer.from(bytes);
  const out: Material = { format: 'der', certs: [], keys: [], csrPems: [], ignored: [] };
  if (der.length < 2 || der[0] !== 0x30) {
    throw new TlsdockError('bad-input', `${what} is neither PEM nor DER: it holds no certificate, key or PKCS#12 data.`);
  }
  try {
    out.certs.push({ der, pem: toPem('CERTIFICATE', der), x509: new X509Certificate(der) });
    return out;
  } catch { /* not a certificate */ }
  // PKCS#12 support pulls in pkijs and node-forge (~30 ms to load): only when a .p12 shows up.
  const { decodePkcs12, looksLikePkcs12 } = await import('./pkcs12.js');
  if (looksLikePkcs12(der)) {
    if (password === undefined) {
      throw new TlsdockError('bad-password', `${what} is a PKCS#12 (.p12/.pfx) file and needs its password.`, { fix: 'pass --password-file F (or set TLSDOCK_P12_PASSWORD); use an empty file for no password' });
    }
    const p12 = decodePkcs12(der, password);
    out.format = 'pkcs12';
    for (const pem of p12.certPems) out.certs.push(parsePem(Buffer.from(pem), what).certs[0]!);
    if (p12.keyPem) out.keys.push({ key: createPrivateKey(p12.keyPem), encoding: 'pkcs8', encrypted: true });
    return out;
  }
  const key = tryDerKey(der, what, password);
  if (key) { out.keys.push(key); return out; }
  throw new TlsdockError('bad-input', `${what} is not a certificate, key or PKCS#12 file that can be read (it may be truncated or corrupted).`);
}

/** Parse the bytes of any certificate/key file: PEM (any blocks, any order, CRLF), DER, PKCS#12. */
export async function parseMaterial(bytes: Uint8Array, opts: ParseOptions = {}): Promise<Material> {
  const what = opts.source ?? 'the input';
  if (bytes.length === 0) throw new TlsdockError('bad-input', `${what} is empty.`);
  const m = looksLikePem(bytes) ? parsePem(bytes, what, opts.password) : await parseDer(bytes, what, opts.password);
  if (m.format === 'pem' && m.certs.length + m.keys.length + m.csrPems.length === 0) {
    throw new TlsdockError('bad-input', `${what} holds no certificate, key or certificate request.`);
  }
  return m;
}
