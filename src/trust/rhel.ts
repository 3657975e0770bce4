import { anchorFolderStore } from './anchor-folder.js';
import type { TrustContext, TrustStore } from './store.js';

/**
 * RHEL, Fedora, CentOS, Rocky, Alma, Amazon Linux: a file in /etc/pki/ca-trust/source/anchors, then
 * `update-ca-trust extract`, which writes /etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem
 * (/etc/pki/tls/certs/ca-bundle.crt links to it) and the Java and NSS views of the same trust.
 */
export interface RhelOptions {
  anchorsDir?: string;
  bundle?: string;
  command?: string;
}

export function rhelStore(ctx: TrustContext, o: RhelOptions = {}): TrustStore {
  return anchorFolderStore(ctx, { id: 'rhel', title: 'System (Fedora/RHEL)', installTool: 'dnf install ca-certificates' }, {
    anchorsDir: o.anchorsDir ?? '/etc/pki/ca-trust/source/anchors',
    extension: '.pem',
    bundle: o.bundle ?? '/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem',
    refresh: [o.command ?? 'update-ca-trust', 'extract'],
  });
}
