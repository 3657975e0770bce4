/**
 * Certificates for trust-store tests, made by the real openssl CLI (independent of tlsdock's PKI):
 * a root, an intermediate, server certificates below them, and the self-signed kinds `trust fetch` meets.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface PkiFile {
  cert: string;
  key: string;
  /** PEM text of `cert`. */
  pem: string;
  keyPem: string;
}

export interface TrustPki {
  dir: string;
  /** Self-signed CA:TRUE root. */
  root: PkiFile;
  /** CA:TRUE, signed by root. */
  inter: PkiFile;
  /** localhost + 127.0.0.1, signed by inter. */
  leaf: PkiFile;
  /** Self-signed CA:FALSE server certificate for localhost + 127.0.0.1 (a "peer"). */
  selfLeaf: PkiFile;
  /** Self-signed CA:TRUE server certificate for localhost + 127.0.0.1 (what `openssl req -x509` makes by default). */
  selfCa: PkiFile;
  /** Self-signed CA:FALSE with the name only in its CN. */
  noSan: PkiFile;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
}

function file(dir: string, name: string): PkiFile {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}-key.pem`);
  return { cert, key, pem: readFileSync(cert, 'utf8'), keyPem: readFileSync(key, 'utf8') };
}

function selfSigned(dir: string, name: string, cn: string, exts: string[]): PkiFile {
  openssl(['req', '-x509', ...EC, '-keyout', join(dir, `${name}-key.pem`), '-out', join(dir, `${name}.pem`), '-days', '2', '-sha256', '-subj', `/CN=${cn}`, ...exts.flatMap((e) => ['-addext', e])]);
  return file(dir, name);
}

function signed(dir: string, name: string, cn: string, issuer: PkiFile, exts: string[]): PkiFile {
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, exts.join('\n') + '\n');
  openssl(['req', ...EC, '-keyout', join(dir, `${name}-key.pem`), '-out', csr, '-subj', `/CN=${cn}`]);
  openssl(['x509', '-req', '-in', csr, '-CA', issuer.cert, '-CAkey', issuer.key, '-CAcreateserial', '-out', join(dir, `${name}.pem`), '-days', '1', '-sha256', '-extfile', ext]);
  return file(dir, name);
}

const LEAF_EXTS = ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=serverAuth'];

export function makeTrustPki(dir: string): TrustPki {
  const root = selfSigned(dir, 'root', 'trust test root', ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign']);
  const inter = signed(dir, 'inter', 'trust test intermediate', root, ['basicConstraints=critical,CA:TRUE,pathlen:0', 'keyUsage=critical,keyCertSign,cRLSign']);
  const leaf = signed(dir, 'leaf', 'localhost', inter, [...LEAF_EXTS, 'subjectAltName=DNS:localhost,IP:127.0.0.1']);
  const selfLeaf = selfSigned(dir, 'self-leaf', 'localhost', [...LEAF_EXTS, 'subjectAltName=DNS:localhost,IP:127.0.0.1']);
  const selfCa = selfSigned(dir, 'self-ca', 'localhost', ['subjectAltName=DNS:localhost,IP:127.0.0.1']);
  const noSan = selfSigned(dir, 'no-san', 'localhost', LEAF_EXTS);
  return { dir, root, inter, leaf, selfLeaf, selfCa, noSan };
}
