/**
 * Odd certificates for doctor tests, made by the real `openssl` program (OpenSSL 3.0):
 * any validity window (`openssl ca -startdate/-enddate`, since `x509 -req` cannot back-date),
 * any digest (`-md sha1`, `-md md5`), any extensions, any key, any issuer.
 *
 * Each certificate gets its own tiny `openssl ca` database under `dir`, so certificates can be
 * made in any order and from any issuer (including self-signed with `-selfsign`).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Made {
  name: string;
  certFile: string;
  keyFile: string;
  certPem: string;
  keyPem: string;
}

export interface CertSpec {
  /** File stem, unique within the Pki. */
  name: string;
  /** Subject CN (omitted when ''). Default: the name. */
  cn?: string;
  /** subjectAltName in openssl syntax, e.g. 'DNS:localhost,IP:127.0.0.1'; omitted when undefined. */
  san?: string;
  /** The issuer; undefined = self-signed. */
  issuer?: Made;
  /** 'ca' (CA:TRUE, keyCertSign) or 'leaf' (CA:FALSE, serverAuth). Default 'leaf'. */
  kind?: 'ca' | 'leaf';
  /** Override extensions (openssl config lines) entirely. */
  extensions?: string[];
  /** Extra extension lines appended to the defaults (e.g. 'nameConstraints = critical, permitted;DNS:localhost'). */
  extra?: string[];
  /** e.g. '20200101000000Z'; default: one hour ago. */
  start?: string;
  /** e.g. '20200102000000Z'; default: start + `days`. */
  end?: string;
  days?: number;
  /** Signature digest: sha256 (default), sha1, md5, sha384. */
  md?: string;
  /** 'ec' (P-256, default), 'rsa:2048', 'rsa:1024'… */
  key?: string;
}

function openssl(cwd: string, args: string[]): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    throw new Error(`openssl ${args.join(' ')} failed: ${err.stderr?.toString() || err.message}`);
  }
}

function asn1Time(d: Date): string {
  return d.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';
}

const LEAF_EXT = ['basicConstraints = critical, CA:FALSE', 'keyUsage = critical, digitalSignature, keyEncipherment', 'extendedKeyUsage = serverAuth', 'subjectKeyIdentifier = hash', 'authorityKeyIdentifier = keyid'];
const CA_EXT = ['basicConstraints = critical, CA:TRUE', 'keyUsage = critical, keyCertSign, cRLSign, digitalSignature', 'subjectKeyIdentifier = hash', 'authorityKeyIdentifier = keyid'];

export class OpensslPki {
  constructor(readonly dir: string) {}

  make(spec: CertSpec): Made {
    const dir = join(this.dir, spec.name);
    mkdirSync(dir, { recursive: true });
    const keyArgs = (spec.key ?? 'ec').startsWith('rsa')
      ? ['-newkey', spec.key ?? 'rsa:2048']
      : ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'];
    const cn = spec.cn ?? spec.name;
    const subj = cn === '' ? '/O=tlsdock doctor test' : `/O=tlsdock doctor test/CN=${cn}`;
    openssl(dir, ['req', '-new', ...keyArgs, '-nodes', '-keyout', 'key.pem', '-out', 'req.csr', '-subj', subj]);
    const ext = [...(spec.extensions ?? (spec.kind === 'ca' ? CA_EXT : LEAF_EXT)), ...(spec.extra ?? [])];
    if (!spec.issuer) {
      const i = ext.findIndex((l) => l.startsWith('authorityKeyIdentifier'));
      if (i >= 0) ext.splice(i, 1); // no issuer to point at
    }
    if (spec.san) ext.push(`subjectAltName = ${spec.san}`);
    const start = spec.start ?? asn1Time(new Date(Date.now() - 3600_000));
    const end = spec.end ?? asn1Time(new Date(Date.now() + (spec.days ?? 30) * 86400_000));
    writeFileSync(join(dir, 'ca.cnf'), [
      '[ca]', 'default_ca = x', '[x]', `database = ${dir}/index.txt`, `new_certs_dir = ${dir}`, `serial = ${dir}/serial`,
      'policy = any', 'unique_subject = no', 'copy_extensions = none', 'email_in_dn = no', '[any]', 'organizationName = optional', 'commonName = optional',
      '[ext]', ...ext, '',
    ].join('\n'));
    writeFileSync(join(dir, 'index.txt'), '');
    writeFileSync(join(dir, 'serial'), `${(BigInt(Date.now()) * 1000n + BigInt(Math.floor(Math.random() * 1000))).toString(16).padStart(16, '0')}\n`);
    const signer = spec.issuer ? ['-cert', spec.issuer.certFile, '-keyfile', spec.issuer.keyFile] : ['-selfsign', '-keyfile', 'key.pem'];
    openssl(dir, ['ca', '-batch', '-config', 'ca.cnf', ...signer, '-in', 'req.csr', '-out', 'cert.pem', '-notext', '-extensions', 'ext',
      '-md', spec.md ?? 'sha256', '-startdate', start, '-enddate', end, '-preserveDN']);
    const certFile = join(this.dir, `${spec.name}.pem`);
    const keyFile = join(this.dir, `${spec.name}-key.pem`);
    const certPem = readFileSync(join(dir, 'cert.pem'), 'utf8');
    const keyPem = readFileSync(join(dir, 'key.pem'), 'utf8');
    writeFileSync(certFile, certPem);
    writeFileSync(keyFile, keyPem, { mode: 0o600 });
    return { name: spec.name, certFile, keyFile, certPem, keyPem };
  }
}

/** openssl's date format for -startdate/-enddate, `days` from now (negative = in the past). */
export function daysFromNow(days: number): string {
  return asn1Time(new Date(Date.now() + days * 86400_000));
}
