/**
 * Facts for "can the server's user read these files?": who that user is (from /etc/passwd and
 * /etc/group, so no process has to run as them) and the owner and mode of each file and of every
 * folder above it. The decision itself is pure: src/diagnose/access.ts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Identity, PathFacts, StatFacts } from '../diagnose/access.js';
import { TlsdockError } from '../errors.js';

export interface UserDbFiles {
  passwd?: string;
  group?: string;
}

function readLines(file: string): string[][] {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(':'));
  } catch {
    return [];
  }
}

/** A user by name or numeric uid, with every group it belongs to. An unknown number is taken as is (a container's uid). */
export function resolveUser(spec: string, files: UserDbFiles = {}): Identity {
  const passwd = readLines(files.passwd ?? '/etc/passwd');
  const groups = readLines(files.group ?? '/etc/group');
  const numeric = /^\d+$/.test(spec);
  const entry = passwd.find((p) => (numeric ? p[2] === spec : p[0] === spec));
  if (!entry) {
    if (!numeric) throw new TlsdockError('usage', `There is no user named ${spec} on this machine (${files.passwd ?? '/etc/passwd'}).`, { fix: 'give a user name that exists, or a numeric uid' });
    // A bare uid with no passwd entry (common in containers): no name, no groups but its own number.
    return { name: spec, uid: Number(spec), gid: Number(spec), groups: [] };
  }
  const name = entry[0]!;
  const uid = Number(entry[2]);
  const gid = Number(entry[3]);
  const member = groups.filter((g) => g[2] !== undefined && (Number(g[2]) === gid || (g[3] ?? '').split(',').includes(name))).map((g) => Number(g[2]));
  return { name, uid, gid, groups: [...new Set([gid, ...member])] };
}

function statFacts(st: fs.Stats): StatFacts {
  return { mode: st.mode, uid: st.uid, gid: st.gid };
}

/** Owner and mode of a file and of each folder from / down to it. */
export function pathFacts(file: string): PathFacts {
  const abs = path.resolve(file);
  const dirs: PathFacts['dirs'] = [];
  let dir = path.dirname(abs);
  const chain: string[] = [];
  for (;;) {
    chain.unshift(dir);
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  for (const d of chain) dirs.push({ path: d, stat: statFacts(fs.statSync(d)) });
  return { path: file, file: statFacts(fs.statSync(abs)), dirs };
}
