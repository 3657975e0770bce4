import { createPublicKey, type KeyObject } from 'node:crypto';
import { TlsdockError } from '../errors.js';
import { x509 } from './x509lib.js';

export interface ParsedCsr {
  publicKey: KeyObject;
  /** SAN entries, or the CN when the request has no SAN (old tools still make those). */
  names: string[];
  subject: string;
}

/** Parse a PKCS#10 request (PEM or DER) and check its self-signature: a CSR must prove key possession. */
export async function parseCsr(bytes: Uint8Array, source = 'the request'): Promise<ParsedCsr> {
  let csr: x509.Pkcs10CertificateRequest;
  try {
    const text = Buffer.from(bytes).toString('latin1');
    csr = text.includes('-----BEGIN') ? new x509.Pkcs10CertificateRequest(text) : new x509.Pkcs10CertificateRequest(new Uint8Array(bytes));
  } catch (e) {
    throw new TlsdockError('bad-input', `${source} is not a valid certificate signing request (PKCS#10).`, { cause: e });
  }
  const valid = await csr.verify().catch(() => false); // a mangled public key throws instead of failing
  if (!valid) throw new TlsdockError('bad-input', `The signature of ${source} does not verify; it was altered or made with another key.`);
  const san = csr.extensions.find((e): e is x509.SubjectAlternativeNameExtension => e instanceof x509.SubjectAlternativeNameExtension);
  let names = (san?.names.toJSON() ?? []).filter((n) => n.type === 'dns' || n.type === 'ip' || n.type === 'email').map((n) => n.value);
  if (names.length === 0) names = csr.subjectName.getField('CN');
  const publicKey = createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: 'der', type: 'spki' });
  return { publicKey, names, subject: csr.subject };
}
