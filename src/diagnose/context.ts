import type { CertInfo } from './cert-info.js';

/**
 * What a finding needs to name the exact fix: the command that re-issues a certificate for the
 * right names, and where things live (files for inspect, the URL for check).
 */
export interface FixContext {
  /** `tlsdock issue NAMES --out DIR` for the names this certificate should carry. */
  issueCommand: string;
  /** check: the URL visited. */
  url?: string;
  /** inspect: the file holding a given certificate. */
  fileOf?: (cert: CertInfo) => string | undefined;
  /** Whether a certificate is tlsdock's own CA (its fixes are tlsdock commands). */
  isOurCa?: (cert: CertInfo) => boolean;
}

/** "the server certificate (CN=localhost)" / "the CA "tlsdock dev CA"" — how messages name a certificate. */
export function describeCert(cert: CertInfo, role: 'leaf' | 'intermediate' | 'root' | 'ca'): string {
  switch (role) {
    case 'leaf': return `the certificate for ${cert.name}`;
    case 'intermediate': return `the intermediate CA "${cert.name}"`;
    case 'root': return `the root CA "${cert.name}"`;
    case 'ca': return `the CA "${cert.name}"`;
  }
}

/** The role of the i-th certificate of a path (leaf first, anchor or dead end last). */
export function roleAt(path: readonly CertInfo[], i: number): 'leaf' | 'intermediate' | 'root' {
  if (i === 0) return 'leaf';
  return i === path.length - 1 && path[i]!.selfIssued ? 'root' : 'intermediate';
}

export function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
