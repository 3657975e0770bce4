import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TlsdockError } from '../errors.js';
import { writeFileAtomic } from '../store/atomic.js';
import { tlsdockHome } from '../store/home.js';
import { runAsMainProcess, type RunMainOptions } from '../integrations/exec.js';
import { isWildcardIp, jupyterCommand, jupyterConfigText, jupyterUrls, waitForTrustedTls } from '../integrations/jupyter.js';
import { ensureCert, type EnsureOptions, type EnsureResult } from './ensure.js';

/** Where `jupyter run` keeps Jupyter's pair by default, and what the generated config looks for. */
export function jupyterPairPaths(home: string = tlsdockHome()): { cert: string; key: string } {
  return { cert: path.join(home, 'jupyter', 'cert.pem'), key: path.join(home, 'jupyter', 'key.pem') };
}

export interface JupyterConfigOptions {
  /** Write here (refusing to replace a file unless `force`); without it, only return the text. */
  out?: string;
  /** NotebookApp (Notebook ≤ 6) instead of ServerApp. */
  classic?: boolean;
  /** Bake these default paths in, instead of $TLSDOCK_HOME/jupyter/{cert,key}.pem computed at start-up. */
  certFile?: string;
  keyFile?: string;
  force?: boolean;
}

export interface JupyterConfigResult {
  path: string | null;
  app: 'ServerApp' | 'NotebookApp';
  text: string;
}

export function jupyterConfig(opts: JupyterConfigOptions = {}): JupyterConfigResult {
  const text = jupyterConfigText({
    classic: opts.classic,
    certFile: opts.certFile ? path.resolve(opts.certFile) : undefined,
    keyFile: opts.keyFile ? path.resolve(opts.keyFile) : undefined,
  });
  const app = opts.classic ? 'NotebookApp' : 'ServerApp';
  if (!opts.out) return { path: null, app, text };
  const out = path.resolve(opts.out);
  try {
    fs.mkdirSync(path.dirname(out), { recursive: true });
  } catch (e) {
    throw new TlsdockError('unwritable', `Cannot create the folder ${path.dirname(out)}: ${(e as NodeJS.ErrnoException).code === 'EACCES' ? 'permission denied' : (e as Error).message}.`, { fix: 'choose a writable --out, or run it where you may write (e.g. as root in a Dockerfile RUN)', cause: e });
  }
  writeFileAtomic(out, text, 0o644, { force: opts.force });
  return { path: out, app, text };
}

export interface JupyterRunOptions extends Omit<EnsureOptions, 'certFile' | 'keyFile'> {
  /** Default: $TLSDOCK_HOME/jupyter/cert.pem and key.pem. */
  certFile?: string;
  keyFile?: string;
  /** Address Jupyter listens on (default localhost; 0.0.0.0 in a container or for the LAN). */
  ip?: string;
  port?: number;
  /** Default: $JUPYTER_TOKEN, else 48 random hex digits. Passed in the environment, never on the command line. */
  token?: string;
  app?: 'server' | 'lab' | 'notebook';
  /** Extra arguments for Jupyter (after `--`). */
  args?: readonly string[];
  env?: NodeJS.ProcessEnv;
  /** Run-time options for the child (PID 1 handling, notes). */
  process?: Pick<RunMainOptions, 'reaper' | 'pid1' | 'note'>;
  onEnsured?: (r: EnsureResult) => void;
  /** Called once the server completes a handshake trusted by the CA alone: the URLs open without a warning. */
  onReady?: (urls: string[]) => void;
}

export interface JupyterRunResult {
  ensure: EnsureResult;
  argv: string[];
  urls: string[];
  ready: boolean;
  /** Jupyter's exit status (128 + N if killed by signal N). */
  code: number;
}

function jupyterArgs(opts: JupyterRunOptions, files: { cert: string; key: string }, ip: string, port: number): string[] {
  const args = [`--ip=${ip}`, `--port=${port}`, '--port-retries=0', '--no-browser', `--certfile=${files.cert}`, `--keyfile=${files.key}`];
  // Jupyter refuses to run as root without it; in containers root is the common case.
  if (process.getuid?.() === 0) args.push('--allow-root');
  return [...args, ...(opts.args ?? [])];
}

/** Ensure Jupyter's certificate, start Jupyter with it, report the URLs once they really work, and wait for it to exit. */
export async function runJupyter(opts: JupyterRunOptions = {}): Promise<JupyterRunResult> {
  const env = opts.env ?? process.env;
  const app = opts.app ?? 'server';
  const command = jupyterCommand(app, env.PATH ?? '');
  if (!command) {
    throw new TlsdockError('missing-tool', `Jupyter is not installed here: neither jupyter-${app} nor jupyter is on PATH.`, {
      fix: app === 'server' ? 'pip install jupyter_server (Debian: apt install jupyter-server)' : `pip install ${app === 'lab' ? 'jupyterlab' : 'notebook'}`,
    });
  }
  const ip = opts.ip ?? 'localhost';
  const port = opts.port ?? 8888;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new TlsdockError('usage', `--port ${port} is not a TCP port (1-65535).`);
  const home = opts.home ? path.resolve(opts.home) : tlsdockHome(env);
  const defaults = jupyterPairPaths(home);
  const files = { cert: opts.certFile ?? defaults.cert, key: opts.keyFile ?? defaults.key };
  const names = [...(opts.names ?? [])];
  if (!isWildcardIp(ip) && ip !== 'localhost') names.push(ip.replace(/^\[|\]$/g, ''));

  const ensured = await ensureCert({ ...opts, home, certFile: files.cert, keyFile: files.key, names });
  opts.onEnsured?.(ensured);

  const token = opts.token ?? env.JUPYTER_TOKEN ?? randomBytes(24).toString('hex');
  const argv = [...command, ...jupyterArgs(opts, ensured.files, ip, port)];
  const childEnv = { ...env, JUPYTER_TOKEN: token, JUPYTER_CERTFILE: ensured.files.cert, JUPYTER_KEYFILE: ensured.files.key };
  const urls = jupyterUrls(ip, port, token, ensured.names.filter((n) => n.kind === 'ip').map((n) => n.value));

  const running = runAsMainProcess(argv[0]!, argv.slice(1), { ...opts.process, env: childEnv });
  const probeHost = isWildcardIp(ip) ? (ip === '::' || ip === '[::]' ? '::1' : '127.0.0.1') : ip.replace(/^\[|\]$/g, '');
  const servername = isWildcardIp(ip) || ip === '127.0.0.1' || ip === '::1' ? 'localhost' : ip.replace(/^\[|\]$/g, '');
  const caPem = fs.readFileSync(ensured.ca.path, 'utf8');
  let ready = false;
  const readiness = waitForTrustedTls({ host: probeHost === 'localhost' ? '127.0.0.1' : probeHost, port, servername, caPem, gaveUp: running.catch(() => undefined) })
    .then((ok) => { ready = ok; if (ok) opts.onReady?.(urls); });
  const result = await running;
  await readiness;
  return { ensure: ensured, argv, urls, ready, code: result.code };
}
