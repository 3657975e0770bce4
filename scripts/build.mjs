// Bundles the CLI into one CommonJS file (loaded with a V8 code cache by bin/tlsdock.mjs) and the
// library into one ES module. Start-up is most of the cost of a one-shot command: see bench/issue.sh.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const common = { bundle: true, platform: 'node', target: 'node20', minify: true, keepNames: true, sourcemap: 'linked', logLevel: 'warning', legalComments: 'none' };
await build({ ...common, entryPoints: ['src/cli/entry.ts'], format: 'cjs', outfile: 'dist/tlsdock.cjs' });
await build({ ...common, entryPoints: ['src/index.ts'], format: 'esm', outfile: 'dist/index.mjs', packages: 'external' });

// Warm the code cache along the hottest path (issue), so the first real run is already fast.
const home = mkdtempSync(join(tmpdir(), 'tlsdock-build-'));
try {
  execFileSync(process.execPath, ['bin/tlsdock.mjs', 'issue', 'localhost', '127.0.0.1', '--out', home, '--json'], { env: { ...process.env, TLSDOCK_HOME: home }, stdio: 'ignore' });
} finally {
  rmSync(home, { recursive: true, force: true });
}
