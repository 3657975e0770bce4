import { anchorFolderStore, type AnchorFolderOptions } from './anchor-folder.js';
import type { TrustContext, TrustStore } from './store.js';

/**
 * Debian and Ubuntu: a .crt file in /usr/local/share/ca-certificates, then update-ca-certificates,
 * which rebuilds /etc/ssl/certs/ca-certificates.crt (and, through its hooks, Java's cacerts).
 * Removal uses --fresh: without it the bundle is rebuilt but the dangling symlink and hash link of the
 * removed file stay in /etc/ssl/certs (measured, ca-certificates 20250419).
 * Sandboxes: update-ca-certificates takes --certsconf, --certsdir, --localcertsdir, --etccertsdir and
 * --hooksdir (absolute paths: it cd's into etccertsdir); pass them in `extraArgs`.
 */
export interface DebianOptions {
  localCertsDir?: string;
  bundle?: string;
  command?: string;
  extraArgs?: readonly string[];
}

export function debianStore(ctx: TrustContext, o: DebianOptions = {}): TrustStore {
  const command = o.command ?? 'update-ca-certificates';
  const extra = o.extraArgs ?? [];
  const options: AnchorFolderOptions = {
    anchorsDir: o.localCertsDir ?? '/usr/local/share/ca-certificates',
    extension: '.crt',
    bundle: o.bundle ?? '/etc/ssl/certs/ca-certificates.crt',
    refresh: [command, ...extra],
    refreshAfterRemove: [command, '--fresh', ...extra],
  };
  return anchorFolderStore(ctx, { id: 'debian', title: 'System (Debian/Ubuntu)', installTool: 'apt install ca-certificates' }, options);
}
