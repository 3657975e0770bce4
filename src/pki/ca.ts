import { type KeyObject } from 'node:crypto';
import { type NameConstraints } from './constraints.js';
import { generatePrivateKey, privateKeyToPem, signingAlgorithm, toCryptoKeys, type KeyType } from './keys.js';
import { nameConstraintsExtension } from './name-constraints-ext.js';
import { distinguishedName } from './dn.js';
import { randomSerial } from './serial.js';
import { x509 } from './x509lib.js';

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
  cert: x509.X509Certificate;
}

export function subjectName(cn: string, o?: string, ou?: string): x509.Name {
  const parts: (readonly ['CN' | 'O' | 'OU', string])[] = [];
  if (o) parts.push(['O', o]);
  if (ou) parts.push(['OU', ou]);
  parts.push(['CN', cn]);
  return distinguishedName(parts);
}

export async function createRootCA(opts: CreateCAOptions): Promise<IssuedCA> {
  const now = opts.now ?? new Date();
  const key = opts.key ?? (await generatePrivateKey(opts.keyType ?? 'ecdsa-p256'));
  const keys = await toCryptoKeys(key);
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(true, 0, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
  ];
  if (opts.constraints) extensions.push(nameConstraintsExtension(opts.constraints));
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: subjectName(opts.commonName, opts.organization, opts.organizationalUnit),
    // A little in the past: containers and VMs often run with clocks minutes behind the host's.
    notBefore: new Date(now.getTime() - 60 * 60 * 1000),
    notAfter: new Date(now.getTime() + (opts.days ?? 3650) * 86400_000),
    keys,
    signingAlgorithm: signingAlgorithm(key),
    extensions,
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: privateKeyToPem(key), cert };
}
