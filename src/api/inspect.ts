import * as fs from 'node:fs';
import * as path from 'node:path';
import { keyModeFindings, formatFindings, unreadableFinding, userAccessFindings, type FileFacts } from '../diagnose/access.js';
import { CertInfo } from '../diagnose/cert-info.js';
import type { FixContext } from '../diagnose/context.js';
import { buildReport, judgeBundle, judgeServerCertificate, summarize, summarizePath, trustStoreFindings, type CertificateSummary } from '../diagnose/doctor.js';
import { finding, type DoctorReport, type Finding } from '../diagnose/findings.js';
import { encryptedKeyFindings, keyMismatchFindings, keyOwner, type KeyFacts } from '../diagnose/keys.js';
import { issueCommand, namesToIssue, parseHost } from '../diagnose/names.js';
import type { TrustAnchors } from '../diagnose/trust.js';
import { isTlsdockError, TlsdockError } from '../errors.js';
import { parseMaterial, type Material } from '../pki/material.js';
import { loadTrustAnchors } from './anchors.js';
import { pathFacts, resolveUser, type UserDbFiles } from './user-access.js';

export interface InspectOptions {
  /** Certificate, chain, key and PKCS#12 files, in the order a server would read them. */
  files: readonly string[];
  /** Host names or IPs the certificate must cover (the URL's host the browser will visit). */
  hosts?: readonly string[];
  /** The user (name or uid) the server runs as: can it read every file? */
  user?: string;
  /** Password for encrypted keys and PKCS#12 files. */
  password?: string;
  /** Extra trusted CA files. */
  caFiles?: readonly string[];
  now?: Date;
  /** For $HOME (the NSS database Chromium reads) and $TLSDOCK_HOME. */
  env?: NodeJS.ProcessEnv;
  /** Use these anchors instead of reading them (tests, benchmarks). */
  trust?: TrustAnchors;
  /** Other passwd/group files (tests). */
  userDb?: UserDbFiles;
}

export interface InspectedFile {
  path: string;
  format: Material['format'] | null;
  certificates: number;
  keys: number;
  /** e.g. '0600'; null when it could not be stat'ed. */
  mode: string | null;
}

export interface InspectResult extends DoctorReport {
  files: InspectedFile[];
  /** The chain as judged (leaf first), or every CA of a bundle. */
  certificates: CertificateSummary[];
}

interface Loaded {
  facts: FileFacts;
  material?: Material;
  problem?: Finding;
}

async function loadFile(file: string, password: string | undefined): Promise<Loaded> {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new TlsdockError('not-found', `${file} does not exist.`, { fix: 'check the path' });
    return { facts: { path: file, holdsKey: false, holdsCert: false, readError: code ?? 'cannot stat' } };
  }
  if (st.isDirectory()) throw new TlsdockError('usage', `${file} is a folder; give the certificate and key files in it.`, { fix: `tlsdock inspect ${path.join(file, '*.pem')}` });
  const stat = { mode: st.mode, uid: st.uid, gid: st.gid };
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { facts: { path: file, stat, holdsKey: /key/i.test(path.basename(file)), holdsCert: false, readError: code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code ?? 'read error' } };
  }
  try {
    const material = await parseMaterial(bytes, { source: file, password });
    return { material, facts: { path: file, stat, format: material.format, holdsKey: material.keys.length > 0, holdsCert: material.certs.length > 0 } };
  } catch (e) {
    // A wrong or missing password is a usage problem (exit 2); anything else is what the doctor is for.
    if (isTlsdockError(e) && e.code === 'bad-input') {
      return { facts: { path: file, stat, holdsKey: false, holdsCert: false }, problem: finding('unparsable-file', 'error', e.message, `look at it: openssl storeutl -noout -text ${file}  (is it truncated, or not a certificate at all?)`) };
    }
    throw e;
  }
}

function modeText(f: FileFacts): string | null {
  return f.stat ? (f.stat.mode & 0o777).toString(8).padStart(4, '0') : null;
}

/** Judge certificate/key files as a server would load them, and predict what Chromium will show. */
export async function inspect(opts: InspectOptions): Promise<InspectResult> {
  if (opts.files.length === 0) throw new TlsdockError('usage', 'Give at least one file to inspect.', { fix: 'tlsdock inspect cert.pem key.pem --host localhost' });
  const hosts = (opts.hosts ?? []).map(parseHost);
  const [loaded, trust] = await Promise.all([
    Promise.all(opts.files.map((f) => loadFile(f, opts.password))),
    opts.trust ? Promise.resolve(opts.trust) : loadTrustAnchors({ env: opts.env, caFiles: opts.caFiles }),
  ]);
  const now = opts.now ?? new Date();

  const certs: CertInfo[] = [];
  const fileByFp = new Map<string, string>();
  const keys: KeyFacts[] = [];
  for (const l of loaded) {
    const m = l.material;
    if (!m) continue;
    m.certs.forEach((c, i) => {
      const info = new CertInfo(c.x509, m.certs.length > 1 ? `${l.facts.path} (certificate ${i + 1})` : l.facts.path);
      certs.push(info);
      if (!fileByFp.has(info.fingerprint256)) fileByFp.set(info.fingerprint256, l.facts.path);
    });
    // A PKCS#12 file's key came out of a password-protected bag: it is not "encrypted" the way a PEM key is.
    for (const k of m.keys) keys.push({ file: l.facts.path, key: k.key, encrypted: k.encrypted && m.format !== 'pkcs12' });
  }

  const findings: Finding[] = [];
  for (const l of loaded) {
    if (l.problem) findings.push(l.problem);
    findings.push(...unreadableFinding(l.facts), ...formatFindings(l.facts), ...keyModeFindings(l.facts));
  }
  findings.push(...encryptedKeyFindings(keys));
  if (opts.user) {
    const who = resolveUser(opts.user, opts.userDb);
    for (const l of loaded) {
      try {
        findings.push(...userAccessFindings(who, pathFacts(l.facts.path), l.facts.holdsKey));
      } catch { /* vanished meanwhile */ }
    }
  }

  const leaf = keyOwner(certs, keys) ?? certs.find((c) => !c.isCA) ?? (keys.length > 0 || hosts.length > 0 ? certs[0] : undefined);
  const fileOf = (c: CertInfo) => fileByFp.get(c.fingerprint256);
  const outDir = leaf ? path.dirname(fileOf(leaf) ?? '.') : '.';
  const ctx: FixContext = { issueCommand: issueCommand(namesToIssue(leaf, hosts), outDir === '.' ? 'certs/' : outDir), fileOf, isOurCa: (c) => trust.isOurCa(c) };
  const target = opts.files.join(' ');
  const files = loaded.map((l) => ({ path: l.facts.path, format: l.facts.format ?? null, certificates: l.material?.certs.length ?? 0, keys: l.material?.keys.length ?? 0, mode: modeText(l.facts) }));

  if (!leaf) {
    if (certs.length === 0) {
      if (!loaded.some((l) => l.facts.readError || l.problem)) findings.push(finding('no-certificate', keys.length ? 'info' : 'error', keys.length ? 'There is only a key here; give the certificate file too to check that they belong together.' : 'None of the files holds a certificate.', `tlsdock inspect CERT.pem ${opts.files.join(' ')}`));
      return { ...buildReport(target, target, [...findings, ...trustStoreFindings(trust)], false), files, certificates: [] };
    }
    findings.push(...judgeBundle(certs, trust, now, ctx), ...trustStoreFindings(trust));
    return { ...buildReport(target, target, findings, false), files, certificates: certs.map((c) => summarize(c, 'ca')) };
  }

  // What a server sends: the certificate, then the rest of its file, then other files' certificates.
  const leafFile = fileOf(leaf);
  const presented = [...certs.filter((c) => c !== leaf && fileOf(c) === leafFile), ...certs.filter((c) => fileOf(c) !== leafFile)];
  // Order matters only within one PEM file a server sends as is (a PKCS#12 file has no meaningful order).
  const leafFormat = loaded.find((l) => l.facts.path === leafFile)?.facts.format;
  const sameFileOnly = presented.every((c) => fileOf(c) === leafFile) && leafFormat === 'pem';
  const firstInFile = certs.find((c) => fileOf(c) === leafFile);
  if (firstInFile && firstInFile !== leaf) {
    findings.push(finding('leaf-not-first', 'error', `The key belongs to the certificate for ${leaf.name}, but ${leafFile} starts with "${firstInFile.name}", and servers send the first certificate as their own.`,
      `rewrite ${leafFile} with the certificate for ${leaf.name} first, then its intermediates`));
  }
  findings.push(...keyMismatchFindings(leaf, keys, ctx));
  const judged = judgeServerCertificate({ leaf, presented, hosts, trust, now, ctx, judgeOrder: sameFileOnly });
  findings.push(...judged.findings);
  const visited = hosts.length ? hosts.map((h) => `https://${h.kind === 'ip' && h.value.includes(':') ? `[${h.value}]` : h.value}`).join(' and ') : `the certificate in ${leafFile}`;
  return { ...buildReport(target, visited, findings, true), files, certificates: summarizePath(judged.chain) };
}
