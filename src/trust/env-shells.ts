/** The shells `tlsdock trust env` writes variables for (a module of its own so the CLI can list them without loading the trust code). */
export type EnvShell = 'sh' | 'fish' | 'powershell';
export const ENV_SHELLS: readonly EnvShell[] = ['sh', 'fish', 'powershell'];
