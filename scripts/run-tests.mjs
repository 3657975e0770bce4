// Runs every test file under test/ with Node's test runner (Node 20 has no glob in `--test`).
// --unit: only tests outside test/e2e. Extra arguments are passed through (e.g. a file filter).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const args = process.argv.slice(2);
const unitOnly = args.includes('--unit');
const filters = args.filter((a) => !a.startsWith('--'));

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.test.ts') ? [p] : [];
  });
}
let files = walk('test').sort();
if (unitOnly) files = files.filter((f) => !f.startsWith(join('test', 'e2e')));
if (filters.length) files = files.filter((f) => filters.some((x) => f.includes(x)));
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=3', ...files], { stdio: 'inherit', env: { ...process.env, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' } });
process.exit(r.status ?? 1);
