import * as fs from 'node:fs';
import * as path from 'node:path';
import { TlsdockError } from '../errors.js';
import { createRootCA } from '../pki/ca.js';
import { DEFAULT_LEAF_DAYS, issueLeaf, MAX_LOCAL_LEAF_DAYS } from '../pki/leaf.js';
import type { KeyType } from '../pki/keys.js';
import { fileStem, parseNames, type CertName } from '../pki/names.js';
import { ensureDir, writeFilesAtomic, type PlannedFile } from '../store/atomic.js';
import { loadOrCreateCA } from '../store/ca-store.js';
import { tlsdockHome } from '../store/home.js';
import { readInput } from '../store/read.js';
import { constraintsFor, fingerprintSha256, hostNames } from './ca.js';
import * as os from 'node:os';

export interface IssueOptions {
  names: readonly string[];
  home?: string;
  /** Folder for `<stem>.pem`, `<stem>-key.pem`, `<stem>-fullchain.pem` (default: the current folder). */
  outDir?: string;
  /** Exact paths instead of --out: the cert file gets the full chain, which is what servers want. */
  certFile?: string;
  keyFile?: string;
  days?: number;
  keyType?: KeyType;
  client?: boolean;
  /** Also write `<stem>.p12` protected by this password. */
  p12Password?: string;
  /** Sign this CSR (PEM or DER) instead of generating a key. */
  csrFile?: string;
  force?: boolean;
}

export interface IssueResult {
  names: { kind: CertName['kind']; value: string }[];
  files: { cert: string; fullchain?: string; key?: string; p12?: string };
  serial: string;
  fingerprintSha256: string;
  notBefore: string;
  notAfter: string;
  ca: { subject: string; fingerprintSha256: string; created: boolean; path: string };
  warnings: string[];
}

function outputPaths(opts: IssueOptions, stem: string, withKey: boolean): { cert: string; fullchain?: string; key?: string; p12?: string } {
  if (opts.certFile || opts.keyFile) {
    if (opts.outDir) throw new TlsdockError('usage', 'Use either --out DIR or --cert-file/--key-file, not both.');
    if (withKey && (!opts.certFile || !opts.keyFile)) throw new TlsdockError('usage', '--cert-file and --key-file go together.');
    const cert = path.resolve(opts.certFile ?? '');
    const key = withKey ? path.resolve(opts.keyFile ?? '') : undefined;
    return { cert, key, p12: opts.p12Password !== undefined ? cert.replace(/\.(pem|crt|cer)$/i, '') + '.p12' : undefined };
  }
  const dir = path.resolve(opts.outDir ?? '.');
  return {
    cert: path.join(dir, `${stem}.pem`),
    fullchain: path.join(dir, `${stem}-fullchain.pem`),
    key: withKey ? path.join(dir, `${stem}-key.pem`) : undefined,
    p12: opts.p12Password !== undefined ? path.join(dir, `${stem}.p12`) : undefined,
  };
}

export async function issue(opts: IssueOptions): Promise<IssueResult> {
  const warnings: string[] = [];
  const days = opts.days ?? DEFAULT_LEAF_DAYS;
  if (!Number.isFinite(days) || days <= 0) throw new TlsdockError('usage', `--days must be a positive number (got ${opts.days}).`);
  if (days > MAX_LOCAL_LEAF_DAYS) {
    if (!opts.force) throw new TlsdockError('usage', `--days ${days} is over ${MAX_LOCAL_LEAF_DAYS}, the most Apple platforms accept for any certificate; Safari and macOS would reject it.`, { fix: `use --days ${MAX_LOCAL_LEAF_DAYS} or less, or add --force to issue it anyway` });
    warnings.push(`A validity of ${days} days is over ${MAX_LOCAL_LEAF_DAYS}: Safari, macOS and iOS will reject this certificate.`);
  }
  // The CSR parser needs @peculiar/x509 (signature checks for every algorithm), loaded only here.
  const csr = opts.csrFile ? await (await import('../pki/csr.js')).parseCsr(readInput(opts.csrFile, 'the certificate request'), opts.csrFile) : undefined;
  const names = parseNames(opts.names.length > 0 ? opts.names : csr?.names ?? []);
  if (names.length === 0) throw new TlsdockError('usage', 'Give at least one name for the certificate, e.g. tlsdock issue localhost 127.0.0.1 ::1.');
  if (opts.p12Password !== undefined && csr) throw new TlsdockError('usage', '--p12 needs the private key, which a CSR does not carry; drop --p12 or --csr.');
  if (opts.keyType && csr) throw new TlsdockError('usage', '--key-type has no effect with --csr: the key is the CSR owner\'s.');

  const files = outputPaths(opts, fileStem(names), !csr);
  // Fail on an existing file before any key is generated or a CA is created.
  if (!opts.force) {
    const existing = Object.values(files).filter((f): f is string => !!f && fs.existsSync(f));
    if (existing.length) throw new TlsdockError('exists', `${existing.join(', ')} already exist${existing.length === 1 ? 's' : ''}; refusing to overwrite.`, { fix: 'pass --force to replace, or choose another folder with --out' });
  }

  const home = opts.home ?? tlsdockHome();
  const { ca, created } = await loadOrCreateCA(home, async () => {
    const user = safeUser();
    return createRootCA({ commonName: `tlsdock ${user}@${os.hostname()}`, organization: 'tlsdock development CA', organizationalUnit: `${user}@${os.hostname()}`, constraints: constraintsFor({}) });
  });

  const leaf = await issueLeaf({ ca, names, days, keyType: opts.keyType, client: opts.client, publicKey: csr?.publicKey, organizationalUnit: `${safeUser()}@${os.hostname()}` });
  if (leaf.notAfter.getTime() < Date.now() + days * 86400_000 - 3600_000) {
    warnings.push(`The certificate ends with its CA on ${leaf.notAfter.toISOString().slice(0, 10)}, sooner than ${days} days.`);
  }

  const planned: PlannedFile[] = [];
  const certData = files.fullchain ? leaf.certPem : leaf.fullchainPem;
  planned.push({ path: files.cert, data: certData, mode: 0o644 });
  if (files.fullchain) planned.push({ path: files.fullchain, data: leaf.fullchainPem, mode: 0o644 });
  if (files.key && leaf.keyPem) planned.push({ path: files.key, data: leaf.keyPem, mode: 0o600 });
  if (files.p12 && leaf.keyPem && opts.p12Password !== undefined) {
    const chain = leaf.fullchainPem.split(/(?<=-----END CERTIFICATE-----\n)/).filter((s) => s.includes('BEGIN'));
    const { encodePkcs12 } = await import('../pki/pkcs12.js');
    planned.push({ path: files.p12, data: await encodePkcs12({ keyPem: leaf.keyPem, certPems: chain, password: opts.p12Password, friendlyName: names[0]!.value }), mode: 0o600 });
  }
  for (const dir of new Set(planned.map((p) => path.dirname(p.path)))) ensureDir(dir);
  writeFilesAtomic(planned, { force: opts.force });

  return {
    names: names.map((n) => ({ kind: n.kind, value: n.value })),
    files,
    serial: leaf.cert.serialNumber,
    fingerprintSha256: fingerprintSha256(new Uint8Array(leaf.cert.rawData)),
    notBefore: leaf.cert.notBefore.toISOString(),
    notAfter: leaf.notAfter.toISOString(),
    ca: { subject: ca.cert.subject, fingerprintSha256: fingerprintSha256(new Uint8Array(ca.cert.rawData)), created, path: ca.paths.cert },
    warnings,
  };
}

function safeUser(): string {
  try { return os.userInfo().username; } catch { return 'user'; }
}
