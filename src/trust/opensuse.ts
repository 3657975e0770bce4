import { anchorFolderStore } from './anchor-folder.js';
import type { TrustContext, TrustStore } from './store.js';

/**
 * openSUSE and SLES: a file in /etc/pki/trust/anchors, then SUSE's own update-ca-certificates
 * (p11-kit based, not Debian's script), which writes /var/lib/ca-certificates/ca-bundle.pem
 * (/etc/ssl/ca-bundle.pem links to it).
 */
export interface OpenSuseOptions {
  anchorsDir?: string;
  bundle?: string;
  command?: string;
}

export function openSuseStore(ctx: TrustContext, o: OpenSuseOptions = {}): TrustStore {
  return anchorFolderStore(ctx, { id: 'opensuse', title: 'System (openSUSE/SLES)', installTool: 'zypper install ca-certificates' }, {
    anchorsDir: o.anchorsDir ?? '/etc/pki/trust/anchors',
    extension: '.pem',
    bundle: o.bundle ?? '/var/lib/ca-certificates/ca-bundle.pem',
    refresh: [o.command ?? 'update-ca-certificates'],
  });
}
