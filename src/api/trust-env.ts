import * as fs from 'node:fs';
import * as path from 'node:path';
import { rootCertificates } from 'node:tls';
import { tlsdockHome } from '../store/home.js';
import { writeFileAtomic } from '../store/atomic.js';
import { bundleHas } from '../trust/anchor.js';
import { shellQuote } from '../trust/runner.js';
import { loadTrustAnchor, summarizeAnchor, type AnchorSummary } from './trust.js';

import { type EnvShell } from '../trust/env-shells.js';
export { ENV_SHELLS, type EnvShell } from '../trust/env-shells.js';

/** Where distributions keep the system bundle (the list Go's crypto/x509 searches). */
export const SYSTEM_BUNDLES: readonly string[] = [
  '/etc/ssl/certs/ca-certificates.crt', // Debian, Ubuntu, Arch, Alpine, Gentoo
  '/etc/pki/tls/certs/ca-bundle.crt', // Fedora, RHEL 6
  '/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem', // RHEL 7+
  '/etc/ssl/ca-bundle.pem', // openSUSE
  '/etc/pki/tls/cacert.pem', // OpenELEC
  '/etc/ssl/cert.pem', // Alpine, macOS, BSDs
];

export interface TrustEnvOptions {
  home?: string;
  caFile?: string;
  shell?: EnvShell;
  /** Candidate system bundles, first existing wins (default SYSTEM_BUNDLES); none: Node's built-in roots. */
  systemBundles?: readonly string[];
}

export interface TrustEnvResult {
  ok: true;
  shell: EnvShell;
  anchor: AnchorSummary;
  /** Just the CA (for NODE_EXTRA_CA_CERTS, which adds to Node's own roots). */
  caFile: string;
  /** The system bundle plus the CA (for tools that replace their roots with the file). */
  bundle: string;
  /** The bundle it started from; null when none was found and Node's built-in roots were used. */
  systemBundle: string | null;
  variables: Record<string, string>;
  conda: string;
  /** The lines to evaluate in `shell`. */
  script: string;
}

export function defaultShell(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): EnvShell {
  if (platform === 'win32') return 'powershell';
  return /fish$/.test(env.SHELL ?? '') ? 'fish' : 'sh';
}

/** One `NAME=value` assignment in the shell's own syntax, value quoted literally. */
export function exportLine(shell: EnvShell, name: string, value: string): string {
  switch (shell) {
    case 'fish':
      return `set -gx ${name} '${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
    case 'powershell':
      return `$env:${name} = '${value.replace(/'/g, "''")}'`;
    default:
      return `export ${name}=${shellQuote(value)}`;
  }
}

function systemBundleText(candidates: readonly string[], exclude: string): { path: string | null; text: string } {
  for (const f of candidates) {
    if (path.resolve(f) === path.resolve(exclude)) continue; // never build on our own previous output
    try {
      const text = fs.readFileSync(f, 'utf8');
      if (text.includes('-----BEGIN CERTIFICATE-----')) return { path: f, text };
    } catch { /* try the next */ }
  }
  return { path: null, text: rootCertificates.join('\n') + '\n' };
}

/**
 * Write `env/ca.pem` (the CA) and `env/ca-bundle.pem` (system bundle + CA) into $TLSDOCK_HOME and return the
 * variables that make Node, Python requests, pip, curl, git and OpenSSL trust it, as a script for `shell`.
 */
export async function trustEnv(opts: TrustEnvOptions = {}): Promise<TrustEnvResult> {
  const home = opts.home ?? tlsdockHome();
  const { anchor, source } = await loadTrustAnchor({ home, caFile: opts.caFile });
  const shell = opts.shell ?? defaultShell();
  const dir = path.join(home, 'env');
  fs.mkdirSync(home, { recursive: true, mode: 0o700 }); // the CA key's folder, if it is created here
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  const caFile = path.join(dir, 'ca.pem');
  const bundle = path.join(dir, 'ca-bundle.pem');
  const system = systemBundleText(opts.systemBundles ?? SYSTEM_BUNDLES, bundle);
  const base = system.text.endsWith('\n') ? system.text : `${system.text}\n`;
  const withCa = bundleHas(base, anchor) ? base : `${base}\n# tlsdock: ${anchor.name} (SHA-256 ${anchor.fingerprint256})\n${anchor.pem}`;
  writeFileAtomic(caFile, anchor.pem, 0o644, { force: true });
  writeFileAtomic(bundle, withCa, 0o644, { force: true });
  const variables: Record<string, string> = {
    NODE_EXTRA_CA_CERTS: caFile,
    SSL_CERT_FILE: bundle,
    REQUESTS_CA_BUNDLE: bundle,
    CURL_CA_BUNDLE: bundle,
    GIT_SSL_CAINFO: bundle,
    PIP_CERT: bundle,
  };
  const conda = `conda config --set ssl_verify ${shellQuote(bundle)}`;
  const script = [
    `# tlsdock trust env: ${anchor.name} (SHA-256 ${anchor.fingerprint256}) on top of ${system.path ?? "Node's built-in roots"}`,
    ...Object.entries(variables).map(([k, v]) => exportLine(shell, k, v)),
    `# conda does not read these variables; run once: ${conda}`,
  ].join('\n') + '\n';
  return { ok: true, shell, anchor: summarizeAnchor(anchor, source), caFile, bundle, systemBundle: system.path, variables, conda, script };
}
