/**
 * Files on disk: formats servers cannot load, private keys others can read, and files the server's
 * user cannot read. Who can read a file is computed from the mode bits, owner and group of the
 * file and of every folder above it (each needs search permission), the way the kernel decides for
 * a process with that uid and those groups; ACLs and capabilities other than root's are not
 * modelled.
 */
import { finding, type Finding } from './findings.js';

export interface Identity {
  name: string;
  uid: number;
  gid: number;
  /** Every group id, the primary one included. */
  groups: number[];
}

export interface StatFacts {
  mode: number;
  uid: number;
  gid: number;
}

export interface PathFacts {
  path: string;
  /** The file itself. */
  file: StatFacts;
  /** Every folder from / down to the file's own, in that order. */
  dirs: { path: string; stat: StatFacts }[];
}

function allowed(who: Identity, st: StatFacts, bit: 4 | 1): boolean {
  if (who.uid === 0) return true; // root reads anything (CAP_DAC_OVERRIDE)
  if (st.uid === who.uid) return (st.mode & (bit << 6)) !== 0;
  if (who.groups.includes(st.gid)) return (st.mode & (bit << 3)) !== 0;
  return (st.mode & bit) !== 0;
}

/** Whether `who` can read the file; when not, the first obstacle on the way. */
export function readAccess(who: Identity, p: PathFacts): { readable: true } | { readable: false; blockedBy: string; isDir: boolean } {
  for (const d of p.dirs) {
    if (!allowed(who, d.stat, 1)) return { readable: false, blockedBy: d.path, isDir: true };
  }
  if (!allowed(who, p.file, 4)) return { readable: false, blockedBy: p.path, isDir: false };
  return { readable: true };
}

export interface FileFacts {
  path: string;
  format?: 'pem' | 'der' | 'pkcs12';
  holdsKey: boolean;
  holdsCert: boolean;
  /** Set when we could not read it ourselves (EACCES…). */
  readError?: string;
  stat?: StatFacts;
}

export function formatFindings(f: FileFacts): Finding[] {
  if (f.format === 'der') {
    return [finding('not-pem', 'error', `${f.path} is DER (binary); Jupyter, nginx and most servers want PEM.`, `tlsdock convert ${f.path} --to pem`)];
  }
  if (f.format === 'pkcs12') {
    return [finding('not-pem', 'warning', `${f.path} is PKCS#12; Java and Windows servers take it, but Jupyter, nginx and most others want a PEM certificate and key.`, `tlsdock convert ${f.path} --to pem --password-file PASSWORD_FILE`)];
  }
  return [];
}

export function unreadableFinding(f: FileFacts): Finding[] {
  if (!f.readError) return [];
  return [finding('file-unreadable', 'error', `${f.path} cannot be read (${f.readError}), so it was not checked; a server running as this user could not read it either.`, `ls -l ${f.path}  (check its owner and mode)`)];
}

/** key-file-too-open: group or others may read a file that holds a private key. */
export function keyModeFindings(f: FileFacts): Finding[] {
  if (!f.holdsKey || !f.stat || (f.stat.mode & 0o077) === 0) return [];
  const mode = (f.stat.mode & 0o777).toString(8).padStart(4, '0');
  return [finding('key-file-too-open', 'warning', `${f.path} holds a private key and its mode ${mode} lets ${f.stat.mode & 0o007 ? 'every user' : 'its group'} read it.`, `chmod 600 ${f.path}`)];
}

export function userAccessFindings(who: Identity, p: PathFacts, holdsKey: boolean): Finding[] {
  const r = readAccess(who, p);
  if (r.readable) return [];
  const what = holdsKey ? 'the private key' : 'the certificate';
  const fix = r.isDir
    ? `chmod o+x ${r.blockedBy}  (or give ${who.name} a group that may enter it)`
    : holdsKey ? `chown ${who.name} ${p.path} && chmod 600 ${p.path}` : `chmod 644 ${p.path}`;
  const why = r.isDir ? `it may not enter the folder ${r.blockedBy}` : `the file's owner, group and mode ${(p.file.mode & 0o777).toString(8).padStart(4, '0')} do not let it`;
  return [finding('not-readable-by-user', 'error', `The user ${who.name} (uid ${who.uid}) cannot read ${p.path}, ${what}: ${why}.`, fix)];
}
