import { anchorFolderStore } from './anchor-folder.js';
import type { TrustContext, TrustStore } from './store.js';

/**
 * Alpine (and images built on it): a .crt file in /usr/local/share/ca-certificates, then Alpine's
 * update-ca-certificates (a C program, not Debian's script), which rebuilds /etc/ssl/certs/ca-certificates.crt
 * from scratch each run, so removal needs no extra flag.
 */
export interface AlpineOptions {
  localCertsDir?: string;
  bundle?: string;
  command?: string;
}

export function alpineStore(ctx: TrustContext, o: AlpineOptions = {}): TrustStore {
  return anchorFolderStore(ctx, { id: 'alpine', title: 'System (Alpine)', installTool: 'apk add ca-certificates' }, {
    anchorsDir: o.localCertsDir ?? '/usr/local/share/ca-certificates',
    extension: '.crt',
    bundle: o.bundle ?? '/etc/ssl/certs/ca-certificates.crt',
    refresh: [o.command ?? 'update-ca-certificates'],
  });
}
