/**
 * `--store` groups. `system`: the OS store (Linux distro bundle, macOS keychain, Windows store);
 * `nss`: Chromium/Chrome and Firefox databases on Linux; `java`: the JDK's cacerts;
 * `windows`: the Windows host's store seen from WSL.
 * (A module of its own so that the CLI can list them without loading the store code.)
 */
export const STORE_GROUPS = ['system', 'nss', 'java', 'windows'] as const;
export type StoreGroup = (typeof STORE_GROUPS)[number];
