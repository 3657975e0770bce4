import { createRequire } from 'node:module';
import type * as Tldts from 'tldts';

// tldts builds the whole public-suffix list into a trie when it is loaded (~3 ms of a one-shot
// `tlsdock issue`, measured with --cpu-prof); only wildcard names need it, so it loads on first use.
// (A plain require, not import(): name parsing is synchronous everywhere.)
const requireHere = createRequire(import.meta.url);
let tldts: typeof Tldts | undefined;

/** Whether `domain` is itself a public suffix (ICANN section only, as Chromium uses for wildcards). */
export function isPublicSuffix(domain: string): boolean {
  tldts ??= requireHere('tldts') as typeof Tldts;
  return tldts.getPublicSuffix(domain, { allowPrivateDomains: false }) === domain;
}
