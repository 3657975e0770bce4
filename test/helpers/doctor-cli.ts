/**
 * Run the built CLI asynchronously (so several can run while a browser loads a page), with a
 * sandbox HOME so `check`/`inspect` read the same NSS database as the Chromium under test.
 */
import { execFile } from 'node:child_process';
import { BIN } from './cli.js';

export interface AsyncCliResult {
  status: number;
  stdout: string;
  stderr: string;
}

export function runCliAsync(args: string[], env: NodeJS.ProcessEnv = {}): Promise<AsyncCliResult> {
  return new Promise((resolve, reject) => {
    const clean: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('XDG_')) clean[k] = v;
    execFile(process.execPath, [BIN, ...args], { env: { ...clean, NO_COLOR: '1', ...env }, encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => {
      const code = (err as (Error & { code?: unknown }) | null)?.code;
      if (err && typeof code !== 'number') return reject(err);
      resolve({ status: typeof code === 'number' ? code : 0, stdout, stderr });
    });
  });
}

export interface DoctorJson {
  ok: boolean;
  target: string;
  browser: { chromium: string | null };
  summary: string;
  findings: { id: string; severity: string; message: string; fix: string | null; browserError: string | null }[];
  [k: string]: unknown;
}

/** Run a doctor command with --json and parse it; throws with stderr when the output is not JSON. */
export async function doctorJson(args: string[], env: NodeJS.ProcessEnv): Promise<DoctorJson & { status: number }> {
  const r = await runCliAsync([...args, '--json'], env);
  try {
    return { ...(JSON.parse(r.stdout) as DoctorJson), status: r.status };
  } catch {
    throw new Error(`tlsdock ${args.join(' ')} (exit ${r.status}) printed no JSON:\n${r.stdout}\n${r.stderr}`);
  }
}
