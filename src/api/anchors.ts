/**
 * Reads the trust anchors the doctor predicts with (see src/diagnose/trust.ts for what Chromium
 * trusts and why): the NSS database Chromium would open under $HOME, through `certutil` (NSS has no
 * JS reader, and Node 20 cannot open its SQLite file), the public roots, --ca files, the system
 * bundle (for explanations only) and tlsdock's own CA (to name the right fix).
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { rootCertificates } from 'node:tls';
import { promisify } from 'node:util';
import { CertInfo } from '../diagnose/cert-info.js';
import { TrustAnchors, type NssCert } from '../diagnose/trust.js';
import { TlsdockError } from '../errors.js';
import { parseMaterial } from '../pki/material.js';
import { caPaths, tlsdockHome } from '../store/home.js';
import { readInput } from '../store/read.js';

const run = promisify(execFile);

/** System CA bundles, Debian/Ubuntu first (what curl and Python use). */
export const SYSTEM_BUNDLES = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt', '/etc/ssl/ca-bundle.pem', '/etc/ssl/cert.pem'];

/**
 * The NSS database Chromium on Linux opens: ~/.pki/nssdb when that folder exists (even empty),
 * else $XDG_DATA_HOME/pki/nssdb (default ~/.local/share/pki/nssdb). Measured with Chromium 156.
 * Returns null when neither exists (Chromium would create an empty one: nothing trusted).
 */
export function chromiumNssDir(env: NodeJS.ProcessEnv = process.env): string | null {
  const home = env.HOME || os.homedir();
  const legacy = path.join(home, '.pki', 'nssdb');
  if (isDir(legacy)) return legacy;
  const xdg = path.join(env.XDG_DATA_HOME || path.join(home, '.local', 'share'), 'pki', 'nssdb');
  return isDir(xdg) ? xdg : null;
}

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

const LIST_LINE = /^(.+?)\s+([A-Za-z]*),([A-Za-z]*),([A-Za-z]*)\s*$/;

/** `certutil -L` output → nickname and SSL trust field, one per certificate. */
export function parseCertutilList(text: string): { nickname: string; flags: string }[] {
  const out: { nickname: string; flags: string }[] = [];
  for (const line of text.split('\n')) {
    if (/^Certificate Nickname|^\s+SSL,S\/MIME/.test(line)) continue;
    const m = LIST_LINE.exec(line);
    if (m) out.push({ nickname: m[1]!.trim(), flags: m[2]! });
  }
  return out;
}

function splitPem(text: string): Buffer[] {
  return (text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []).map((b) => Buffer.from(b.replace(/-----[^-]+-----|\s+/g, ''), 'base64'));
}

/** Every certificate in an NSS sql: database with its SSL trust flags. */
export async function readNssDb(dir: string): Promise<{ certs: NssCert[]; error?: string }> {
  if (!fs.existsSync(path.join(dir, 'cert9.db'))) return { certs: [] };
  const db = `sql:${dir}`;
  let listing: string;
  try {
    listing = (await run('certutil', ['-L', '-d', db], { encoding: 'utf8' })).stdout;
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    return { certs: [], error: err.code === 'ENOENT' ? 'certutil is not installed' : (err.stderr || err.message).trim().split('\n')[0] };
  }
  const entries = parseCertutilList(listing);
  const nicknames = [...new Set(entries.map((e) => e.nickname))];
  const pems = await Promise.all(nicknames.map(async (nickname) => {
    try {
      return splitPem((await run('certutil', ['-L', '-d', db, '-n', nickname, '-a'], { encoding: 'utf8' })).stdout);
    } catch {
      return [];
    }
  }));
  const certs: NssCert[] = [];
  nicknames.forEach((nickname, i) => {
    const flags = entries.filter((e) => e.nickname === nickname).map((e) => e.flags);
    pems[i]!.forEach((der, j) => {
      try {
        certs.push({ nickname, flags: flags[j] ?? flags[0] ?? '', cert: new CertInfo(der, `the NSS database ("${nickname}")`) });
      } catch { /* unparsable entry: Chromium skips it too */ }
    });
  });
  return { certs };
}

export interface TrustOptions {
  env?: NodeJS.ProcessEnv;
  /** Extra trusted CA files (--ca). */
  caFiles?: readonly string[];
  /** The system bundle to read for explanations; default: the first of SYSTEM_BUNDLES that exists. */
  systemBundle?: string;
}

async function readCaFile(file: string): Promise<CertInfo[]> {
  const m = await parseMaterial(readInput(file, 'a CA certificate (--ca)'), { source: file });
  if (m.certs.length === 0) throw new TlsdockError('bad-input', `${file} holds no certificate (--ca wants the CA's certificate).`);
  return m.certs.map((c, i) => new CertInfo(c.x509, m.certs.length > 1 ? `${file} (certificate ${i + 1})` : file));
}

function readOurCa(env: NodeJS.ProcessEnv): CertInfo | undefined {
  try {
    const der = splitPem(fs.readFileSync(caPaths(tlsdockHome(env)).cert, 'utf8'))[0];
    return der ? new CertInfo(der, 'tlsdock\'s CA') : undefined;
  } catch {
    return undefined;
  }
}

function readSystemPems(file: string | undefined): string[] {
  const bundle = file ?? SYSTEM_BUNDLES.find((f) => fs.existsSync(f));
  if (!bundle) return [];
  try {
    return fs.readFileSync(bundle, 'utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  } catch {
    return [];
  }
}

/** Everything Chromium would trust for this user, plus what explains its choices. */
export async function loadTrustAnchors(opts: TrustOptions = {}): Promise<TrustAnchors> {
  const env = opts.env ?? process.env;
  const nssDir = chromiumNssDir(env);
  const [nss, extra] = await Promise.all([
    nssDir ? readNssDb(nssDir) : Promise.resolve({ certs: [] as NssCert[], error: undefined as string | undefined }),
    Promise.all((opts.caFiles ?? []).map(readCaFile)).then((l) => l.flat()),
  ]);
  return new TrustAnchors({
    nssDir,
    nss: nss.certs,
    nssError: nss.error,
    publicRootPems: rootCertificates,
    extra,
    systemPems: readSystemPems(opts.systemBundle),
    ourCa: readOurCa(env),
  });
}
