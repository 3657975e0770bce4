import { createPublicKey, type KeyObject } from 'node:crypto';
import { BasicConstraints, KeyUsage, KeyUsageFlags, SubjectKeyIdentifier, id_ce_basicConstraints, id_ce_keyUsage, id_ce_subjectKeyIdentifier, type Name } from '@peculiar/asn1-x509';
import { extension, keyIdentifier, signCertificate } from './cert-sign.js';
import { ParsedCertificate } from './parsed-certificate.js';
import { type NameConstraints } from './constraints.js';
import { distinguishedName } from './dn.js';
import { generatePrivateKey, privateKeyToPem, type KeyType } from './keys.js';
import { nameConstraintsExtension } from './name-constraints-ext.js';
import { randomSerial } from './serial.js';

export interface CreateCAOptions {
  /** Shown as the CA's name in browsers' certificate viewers and trust stores. */
  commonName: string;
  organization?: string;
  organizationalUnit?: string;
  keyType?: KeyType;
  /** Validity in days (default 3650, like mkcert). */
  days?: number;
  /** undefined means no NameConstraints extension (`--no-constraints`). */
  constraints?: NameConstraints;
  now?: Date;
  /** Use this key instead of generating one. */
  key?: KeyObject;
}

export interface IssuedCA {
  certPem: string;
  keyPem: string;
  cert: ParsedCertificate;
}

export function subjectName(cn: string, o?: string, ou?: string): Name {
  const parts: (readonly ['CN' | 'O' | 'OU', string])[] = [];
  if (o) parts.push(['O', o]);
  if (ou) parts.push(['OU', ou]);
  parts.push(['CN', cn]);
  return distinguishedName(parts);
}

export async function createRootCA(opts: CreateCAOptions): Promise<IssuedCA> {
  const now = opts.now ?? new Date();
  const key = opts.key ?? (await generatePrivateKey(opts.keyType ?? 'ecdsa-p256'));
  const spki = new Uint8Array(createPublicKey(key).export({ type: 'spki', format: 'der' }));
  const name = subjectName(opts.commonName, opts.organization, opts.organizationalUnit);
  const extensions = [
    extension(id_ce_basicConstraints, true, new BasicConstraints({ cA: true, pathLenConstraint: 0 })),
    extension(id_ce_keyUsage, true, new KeyUsage(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign | KeyUsageFlags.digitalSignature)),
    extension(id_ce_subjectKeyIdentifier, false, new SubjectKeyIdentifier(keyIdentifier(spki))),
  ];
  if (opts.constraints) extensions.push(nameConstraintsExtension(opts.constraints));
  const cert = signCertificate({
    serial: randomSerial(),
    subject: name,
    issuer: name,
    // A little in the past: containers and VMs often run with clocks minutes behind the host's.
    notBefore: new Date(now.getTime() - 60 * 60 * 1000),
    notAfter: new Date(now.getTime() + (opts.days ?? 3650) * 86400_000),
    spki,
    extensions,
  }, key);
  return { certPem: cert.pem, keyPem: privateKeyToPem(key), cert };
}
