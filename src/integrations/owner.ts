import * as fs from 'node:fs';
import { TlsdockError } from '../errors.js';

/** Who should own the key. `gid` undefined leaves the group as it is, like `chown USER FILE`. */
export interface Owner {
  uid: number;
  gid?: number;
  /** What the user wrote, for messages. */
  spec: string;
}

interface PasswdEntry { name: string; uid: number; gid: number }

/** Parse /etc/passwd or /etc/group text: `name:x:id:…` (passwd also has the primary gid). */
function parseDb(text: string): PasswdEntry[] {
  return text.split('\n').flatMap((line) => {
    const f = line.split(':');
    if (f.length < 3 || line.startsWith('#')) return [];
    return [{ name: f[0]!, uid: Number(f[2]), gid: Number(f[3] ?? NaN) }];
  });
}

function readDb(file: string): PasswdEntry[] {
  try { return parseDb(fs.readFileSync(file, 'utf8')); } catch { return []; }
}

const isId = (s: string) => /^\d+$/.test(s);

/**
 * Resolve `--owner`: `jovyan`, `jovyan:users`, `jovyan:` (the user's login group), `1000`, `1000:100`.
 * Names come from /etc/passwd and /etc/group (the container's own files, which is what the server
 * running in it will see); numeric ids need no entry, since volumes are often shared by uid alone.
 */
export function resolveOwner(spec: string, files: { passwd?: string; group?: string } = {}): Owner {
  const [userPart = '', groupPart] = spec.split(':', 2) as [string, string | undefined];
  if (!userPart || spec.split(':').length > 2) {
    throw new TlsdockError('usage', `--owner "${spec}" is not a user; write it as NAME, UID, NAME:GROUP or UID:GID.`);
  }
  const users = readDb(files.passwd ?? '/etc/passwd');
  let uid: number;
  let loginGid: number | undefined;
  if (isId(userPart)) {
    uid = Number(userPart);
    loginGid = users.find((u) => u.uid === uid)?.gid;
  } else {
    const entry = users.find((u) => u.name === userPart);
    if (!entry) throw new TlsdockError('not-found', `There is no user "${userPart}" in ${files.passwd ?? '/etc/passwd'}.`, { fix: 'give a numeric id instead, e.g. --owner 1000:100' });
    uid = entry.uid;
    loginGid = entry.gid;
  }
  let gid: number | undefined;
  if (groupPart === '') {
    if (loginGid === undefined || Number.isNaN(loginGid)) throw new TlsdockError('not-found', `User ${userPart} has no login group in ${files.passwd ?? '/etc/passwd'}.`, { fix: 'name the group: --owner USER:GROUP' });
    gid = loginGid;
  } else if (groupPart !== undefined) {
    if (isId(groupPart)) gid = Number(groupPart);
    else {
      const g = readDb(files.group ?? '/etc/group').find((e) => e.name === groupPart);
      if (!g) throw new TlsdockError('not-found', `There is no group "${groupPart}" in ${files.group ?? '/etc/group'}.`, { fix: 'give a numeric gid instead, e.g. --owner 1000:100' });
      gid = g.uid; // the third field of /etc/group is the gid
    }
  }
  return { uid, gid, spec };
}

/** chown, turning "only root may do this" into a sentence that says so. */
export function applyOwner(file: string, owner: Owner): void {
  const st = fs.statSync(file);
  const gid = owner.gid ?? st.gid;
  if (st.uid === owner.uid && st.gid === gid) return;
  try {
    fs.chownSync(file, owner.uid, gid);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EPERM') {
      throw new TlsdockError('unwritable', `Cannot give ${file} to ${owner.spec}: only root can change a file's owner, and tlsdock runs as uid ${process.getuid?.() ?? '?'}.`, {
        fix: 'run the entrypoint as root (and let CMD drop privileges), or leave out --owner when tlsdock already runs as that user',
        cause: e,
      });
    }
    throw new TlsdockError('unwritable', `Cannot change the owner of ${file}: ${err.message}.`, { cause: e });
  }
}
