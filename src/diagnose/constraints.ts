/**
 * Name constraints along a path. Chromium enforces them on every CA of the path, the locally
 * trusted root included (since Chromium 112); version 156 reports a violation as ERR_CERT_INVALID,
 * not ERR_CERT_NAME_CONSTRAINT_VIOLATION (measured, and that net error is reserved for a
 * hard-coded list of public roots). Only the subjectAltName is checked: a CN-only certificate for
 * a name outside the constraints gets ERR_CERT_COMMON_NAME_INVALID (measured).
 */
import { isPermitted, type NameConstraints } from '../pki/constraints.js';
import type { CertName } from '../pki/names.js';
import type { CertInfo } from './cert-info.js';
import { capitalize, describeCert, roleAt, type FixContext } from './context.js';
import { finding, type Finding } from './findings.js';

function namesOf(leaf: CertInfo): CertName[] {
  const san = leaf.san;
  if (!san) return [];
  return [...san.dns.map((v) => ({ kind: 'dns' as const, value: v.toLowerCase(), input: v })), ...san.ip.map((v) => ({ kind: 'ip' as const, value: v, input: v }))];
}

function excludes(excluded: NameConstraints, name: CertName): boolean {
  const list = name.kind === 'dns' ? excluded.dns : name.kind === 'ip' ? excluded.ip : excluded.email;
  return list.length > 0 && isPermitted(excluded, name);
}

export function constraintFindings(path: readonly CertInfo[], ctx: FixContext, countsForChromium: boolean): Finding[] {
  const leaf = path[0];
  if (!leaf) return [];
  const names = namesOf(leaf);
  const out: Finding[] = [];
  for (let i = 1; i < path.length; i++) {
    const nc = path[i]!.nameConstraints;
    if (!nc) continue;
    const refused = names.filter((n) => !isPermitted(nc.permitted, n) || excludes(nc.excluded, n));
    if (refused.length === 0) continue;
    const what = describeCert(path[i]!, roleAt(path, i));
    const allowed = [...nc.permitted.dns, ...nc.permitted.ip].join(', ') || 'nothing of that kind';
    out.push(finding('name-constraint-violation', 'error',
      `${capitalize(what)} is name-constrained to ${allowed}, and may not vouch for ${refused.map((n) => n.value).join(', ')}.`,
      ctx.isOurCa?.(path[i]!) ? `make a CA that permits it: tlsdock ca init --force ${refused.map((n) => `--permit ${n.value.replace(/^\*\./, '')}`).join(' ')}, re-trust it, then ${ctx.issueCommand}` : `serve a certificate for names ${what} permits, or use a CA that permits ${refused[0]!.value}`,
      countsForChromium ? 'ERR_CERT_INVALID' : null));
  }
  return out;
}
