import * as fs from 'node:fs';
import { TlsdockError } from '../errors.js';
import { readNameConstraints } from '../pki/name-constraints-ext.js';
import type { SigningCA } from '../pki/leaf.js';
import { keysMatch } from '../pki/keys.js';
import { parseMaterial } from '../pki/material.js';
import { ParsedCertificate } from '../pki/parsed-certificate.js';
import { writeFilesAtomic } from './atomic.js';
import { caPaths, type CAPaths } from './home.js';
import { readInput } from './read.js';

export interface StoredCA extends SigningCA {
  certPem: string;
  paths: CAPaths;
}

/** Parse and check a CA pair: the first certificate must be a CA whose key is the given one. */
export async function caFromPem(certFileText: Uint8Array, keyFileText: Uint8Array, where: { cert: string; key: string }, password?: string): Promise<Omit<StoredCA, 'paths'>> {
  const certs = (await parseMaterial(certFileText, { source: where.cert })).certs;
  const keys = (await parseMaterial(keyFileText, { source: where.key, password })).keys;
  const first = certs[0];
  const key = keys[0];
  if (!first) throw new TlsdockError('bad-input', `${where.cert} holds no certificate.`);
  if (!key) throw new TlsdockError('bad-input', `${where.key} holds no private key.`);
  if (!key.key) throw new TlsdockError('bad-password', `The CA key ${where.key} is encrypted; give its password.`, { fix: 'pass --password-file F' });
  if (!first.x509.ca) throw new TlsdockError('bad-input', `${where.cert} is not a CA certificate (basicConstraints CA:TRUE is missing), so it cannot sign.`);
  if (!keysMatch(key.key, first.x509.publicKey)) throw new TlsdockError('bad-input', `The key ${where.key} does not belong to the certificate ${where.cert}.`);
  const cert = new ParsedCertificate(first.der);
  return {
    cert,
    key: key.key,
    certPem: first.pem,
    chainPems: certs.slice(1).map((c) => c.pem),
    constraints: readNameConstraints(cert.asn),
  };
}

export function caExists(home: string): boolean {
  const p = caPaths(home);
  return fs.existsSync(p.cert) && fs.existsSync(p.key);
}

/** Load the CA kept in `home`, or undefined when there is none. */
export async function loadCA(home: string): Promise<StoredCA | undefined> {
  const paths = caPaths(home);
  if (!fs.existsSync(paths.cert) && !fs.existsSync(paths.key)) return undefined;
  if (!fs.existsSync(paths.key)) throw new TlsdockError('not-found', `The CA certificate ${paths.cert} is there but its key ${paths.key} is missing, so tlsdock cannot sign.`, { fix: 'restore the key, or start over with tlsdock ca init --force' });
  const certBytes = readInput(paths.cert, 'the CA certificate');
  const keyBytes = readInput(paths.key, 'the CA key');
  return { ...(await caFromPem(certBytes, keyBytes, paths)), paths };
}

/** Keep a CA pair in `home` (key 0600, folder 0700), atomically. */
export function saveCA(home: string, certPem: string, keyPem: string, opts: { force?: boolean } = {}): CAPaths {
  const paths = caPaths(home);
  fs.mkdirSync(home, { recursive: true, mode: 0o700 });
  writeFilesAtomic([
    { path: paths.key, data: keyPem, mode: 0o600 },
    { path: paths.cert, data: certPem, mode: 0o644 },
  ], { ...opts, durable: true });
  return paths;
}

/**
 * Load the CA, or create and keep one with `create` when there is none. Two processes racing here
 * (two containers starting on one volume) end up with the same CA: the loser of the no-clobber
 * link waits for the winner's files and loads them.
 */
export async function loadOrCreateCA(home: string, create: () => Promise<{ certPem: string; keyPem: string }>): Promise<{ ca: StoredCA; created: boolean }> {
  const existing = await loadCA(home);
  if (existing) return { ca: existing, created: false };
  const fresh = await create();
  try {
    saveCA(home, fresh.certPem, fresh.keyPem);
  } catch (e) {
    if (!(e instanceof TlsdockError && e.code === 'exists')) throw e;
    for (let i = 0; i < 50 && !caExists(home); i++) await new Promise((r) => setTimeout(r, 50));
    const winner = await loadCA(home);
    if (winner) return { ca: winner, created: false };
    throw e;
  }
  const ca = await loadCA(home);
  if (!ca) throw new TlsdockError('internal', `The CA written to ${home} could not be read back.`);
  return { ca, created: true };
}
