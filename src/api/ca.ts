import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TlsdockError } from '../errors.js';
import { createRootCA } from '../pki/ca.js';
import { signatureAlgorithm } from '../pki/cert-sign.js';
import { addPermit, defaultConstraints, type NameConstraints } from '../pki/constraints.js';
import { describeKey, type KeyType } from '../pki/keys.js';
import { toPem } from '../pki/material.js';
import { caFromPem, loadCA, saveCA, type StoredCA } from '../store/ca-store.js';
import { mkcertCaroot, tlsdockHome } from '../store/home.js';
import { readInput } from '../store/read.js';

export interface CASummary {
  subject: string;
  fingerprintSha256: string;
  serial: string;
  notBefore: string;
  notAfter: string;
  key: string;
  /** null: the CA has no NameConstraints and can sign for any name. */
  constraints: NameConstraints | null;
  /** Certificates above the signing CA (an imported intermediate's chain). */
  chainLength: number;
  paths: { cert: string; key: string };
}

export function fingerprintSha256(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex').toUpperCase().replace(/(..)(?!$)/g, '$1:');
}

export function summarizeCA(ca: StoredCA): CASummary {
  const der = new Uint8Array(ca.cert.rawData);
  return {
    subject: ca.cert.subject,
    fingerprintSha256: fingerprintSha256(der),
    serial: ca.cert.serialNumber,
    notBefore: ca.cert.notBefore.toISOString(),
    notAfter: ca.cert.notAfter.toISOString(),
    key: describeKey(ca.key),
    constraints: ca.constraints ? { dns: ca.constraints.dns, ip: ca.constraints.ip, email: ca.constraints.email } : null,
    chainLength: ca.chainPems.length,
    paths: { cert: ca.paths.cert, key: ca.paths.key },
  };
}

/** The names of this machine, which a default CA may sign for. */
export function hostNames(): string[] {
  const h = os.hostname().toLowerCase();
  return h ? [h] : [];
}

function userAtHost(): string {
  let user = 'user';
  try { user = os.userInfo().username; } catch { /* no passwd entry in some containers */ }
  return `${user}@${os.hostname()}`;
}

export interface InitCAOptions {
  home?: string;
  name?: string;
  keyType?: KeyType;
  days?: number;
  permit?: readonly string[];
  noConstraints?: boolean;
  force?: boolean;
}

export function constraintsFor(opts: Pick<InitCAOptions, 'permit' | 'noConstraints'>): NameConstraints | undefined {
  if (opts.noConstraints) {
    if (opts.permit?.length) throw new TlsdockError('usage', '--permit and --no-constraints contradict each other; use one.');
    return undefined;
  }
  let nc = defaultConstraints(hostNames());
  for (const p of opts.permit ?? []) nc = addPermit(nc, p);
  return nc;
}

export async function initCA(opts: InitCAOptions = {}): Promise<CASummary> {
  const home = opts.home ?? tlsdockHome();
  const existing = opts.force ? undefined : await loadCA(home);
  if (existing) {
    throw new TlsdockError('exists', `A CA already exists in ${home} (${existing.cert.subject}).`, {
      fix: 'see it with tlsdock ca show; replace it with tlsdock ca init --force (browsers that trust the old one will warn until you run tlsdock trust install again)',
    });
  }
  const ca = await createRootCA({
    commonName: opts.name ?? `tlsdock ${userAtHost()}`,
    organization: 'tlsdock development CA',
    organizationalUnit: userAtHost(),
    keyType: opts.keyType,
    days: opts.days,
    constraints: constraintsFor(opts),
  });
  saveCA(home, ca.certPem, ca.keyPem, { force: opts.force });
  return showCA(home);
}

export async function showCA(home: string = tlsdockHome()): Promise<CASummary> {
  const ca = await loadCA(home);
  if (!ca) throw new TlsdockError('not-found', `There is no CA in ${home} yet.`, { fix: 'tlsdock ca init (or tlsdock ca import --from-mkcert)' });
  return summarizeCA(ca);
}

/** The CA certificate as PEM (with its chain) or DER (the signing certificate alone). */
export async function exportCA(home: string = tlsdockHome(), format: 'pem' | 'der' = 'pem'): Promise<Uint8Array> {
  const ca = await loadCA(home);
  if (!ca) throw new TlsdockError('not-found', `There is no CA in ${home} to export.`, { fix: 'tlsdock ca init' });
  if (format === 'der') return new Uint8Array(ca.cert.rawData);
  return Buffer.from(ca.certPem + ca.chainPems.join(''));
}

export interface ImportCAOptions {
  home?: string;
  certFile: string;
  keyFile: string;
  password?: string;
  force?: boolean;
}

/** Take over an existing CA pair (a team CA, an intermediate with its chain). */
export async function importCA(opts: ImportCAOptions): Promise<CASummary> {
  const home = opts.home ?? tlsdockHome();
  const certBytes = readInput(opts.certFile, 'the CA certificate');
  const keyBytes = readInput(opts.keyFile, 'the CA key');
  const ca = await caFromPem(certBytes, keyBytes, { cert: opts.certFile, key: opts.keyFile }, opts.password);
  // Refuse now a CA that could never sign here, rather than at the first `issue`.
  signatureAlgorithm(ca.key, `The CA key ${opts.keyFile}`);
  if (!opts.force && (await loadCA(home))) {
    throw new TlsdockError('exists', `A CA already exists in ${home}; importing would replace it.`, { fix: 'pass --force to replace it' });
  }
  const keyPem = toPem('PRIVATE KEY', ca.key.export({ type: 'pkcs8', format: 'der' }));
  saveCA(home, ca.certPem + ca.chainPems.join(''), keyPem, { force: opts.force });
  return showCA(home);
}

/** Take over mkcert's CA (rootCA.pem + rootCA-key.pem), so that the trust users installed with mkcert keeps working. */
export async function importMkcert(opts: { dir?: string; home?: string; force?: boolean } = {}): Promise<CASummary> {
  const dir = opts.dir ?? mkcertCaroot();
  const certFile = path.join(dir, 'rootCA.pem');
  const keyFile = path.join(dir, 'rootCA-key.pem');
  if (!fs.existsSync(certFile)) throw new TlsdockError('not-found', `No mkcert CA in ${dir} (rootCA.pem is missing).`, { fix: 'give the folder that `mkcert -CAROOT` prints: tlsdock ca import --from-mkcert DIR' });
  if (!fs.existsSync(keyFile)) throw new TlsdockError('not-found', `mkcert's CA in ${dir} has no rootCA-key.pem, so it cannot sign.`);
  return importCA({ home: opts.home, certFile, keyFile, force: opts.force });
}
