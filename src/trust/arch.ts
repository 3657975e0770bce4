import { anchorFolderStore } from './anchor-folder.js';
import type { TrustContext, TrustStore } from './store.js';

/**
 * Arch and Manjaro (p11-kit): a file in /etc/ca-certificates/trust-source/anchors, then
 * `trust extract-compat`, which rewrites /etc/ssl/certs/ca-certificates.crt and the other compat bundles.
 * We do not use `trust anchor --store/--remove`: it names the file itself and `--remove` takes out the
 * certificate wherever it is, including copies tlsdock did not add.
 */
export interface ArchOptions {
  anchorsDir?: string;
  bundle?: string;
  command?: string;
}

export function archStore(ctx: TrustContext, o: ArchOptions = {}): TrustStore {
  return anchorFolderStore(ctx, { id: 'arch', title: 'System (Arch, p11-kit)', installTool: 'pacman -S p11-kit ca-certificates' }, {
    anchorsDir: o.anchorsDir ?? '/etc/ca-certificates/trust-source/anchors',
    extension: '.crt',
    bundle: o.bundle ?? '/etc/ssl/certs/ca-certificates.crt',
    refresh: [o.command ?? 'trust', 'extract-compat'],
  });
}
