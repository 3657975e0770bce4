/**
 * Helpers for tests that drive real processes that keep running: Debian's jupyter-server, the built
 * CLI as an entrypoint. Everything listens on loopback; every process is stopped by PID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';

export const JUPYTER_SERVER = '/usr/bin/jupyter-server';
export const DEBIAN_PYTHON = '/usr/bin/python3';

export function jupyterAvailable(): boolean {
  return existsSync(JUPYTER_SERVER);
}

/** A port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/**
 * An environment that keeps Jupyter (and anything else) out of the real $HOME: HOME, the Jupyter
 * runtime/config/data folders and IPython's folder all live under `dir`.
 */
export function sandboxEnv(dir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const home = join(dir, 'home');
  for (const d of ['home', 'jupyter-runtime', 'jupyter-config', 'jupyter-data']) mkdirSync(join(dir, d), { recursive: true });
  return {
    ...process.env,
    HOME: home,
    JUPYTER_RUNTIME_DIR: join(dir, 'jupyter-runtime'),
    JUPYTER_CONFIG_DIR: join(dir, 'jupyter-config'),
    JUPYTER_DATA_DIR: join(dir, 'jupyter-data'),
    IPYTHONDIR: join(home, '.ipython'),
    XDG_CACHE_HOME: join(home, '.cache'),
    NO_COLOR: '1',
    JUPYTER_TOKEN: undefined,
    JUPYTER_CERTFILE: undefined,
    JUPYTER_KEYFILE: undefined,
    JUPYTER_TLS: undefined,
    JUPYTERHUB_API_TOKEN: undefined,
    TLSDOCK_NAMES: undefined,
    ...extra,
  };
}

export interface Running {
  proc: ChildProcess;
  pid: number;
  /** stdout and stderr so far. */
  out: () => string;
  err: () => string;
  /** Resolves with the exit status (128+N for signal N) when the process ends. */
  exited: Promise<number>;
  /** Wait until stdout+stderr match `re` (rejects if the process exits first or after `ms`). */
  waitFor: (re: RegExp, ms?: number) => Promise<RegExpMatchArray>;
  /** SIGTERM by PID, then SIGKILL if it is still there after `graceMs`; resolves with the exit status. */
  stop: (graceMs?: number) => Promise<number>;
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGUSR1: 10, SIGUSR2: 12, SIGTERM: 15 };

export function start(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; uid?: number; gid?: number } = {}): Running {
  const proc = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'], uid: opts.uid, gid: opts.gid });
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  proc.stdout!.on('data', (d: Buffer) => { out += d.toString(); for (const w of waiters) w(); });
  proc.stderr!.on('data', (d: Buffer) => { err += d.toString(); for (const w of waiters) w(); });
  let done = false;
  const exited = new Promise<number>((resolve) => {
    proc.once('close', (code, signal) => {
      done = true;
      for (const w of waiters) w();
      resolve(code ?? 128 + (SIGNALS[signal ?? ''] ?? 0));
    });
  });
  const waitFor = (re: RegExp, ms = 30_000) => new Promise<RegExpMatchArray>((resolve, reject) => {
    const timer = setTimeout(() => { waiters.delete(check); reject(new Error(`timed out waiting for ${re} in:\n${out}\n${err}`)); }, ms);
    const check = () => {
      const m = (out + '\n' + err).match(re);
      if (m) { clearTimeout(timer); waiters.delete(check); resolve(m); return; }
      if (done) { clearTimeout(timer); waiters.delete(check); reject(new Error(`process exited before ${re}:\n${out}\n${err}`)); }
    };
    waiters.add(check);
    check();
  });
  const stop = async (graceMs = 15_000) => {
    if (!done) {
      try { process.kill(proc.pid!, 'SIGTERM'); } catch { /* gone */ }
      const timer = setTimeout(() => { try { process.kill(proc.pid!, 'SIGKILL'); } catch { /* gone */ } }, graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    }
    return exited;
  };
  return { proc, pid: proc.pid!, out: () => out, err: () => err, exited, waitFor, stop };
}

/** Arguments every test's jupyter-server needs: loopback, a given port, no browser, no port hopping; root in CI. */
export function jupyterBaseArgs(port: number, rootDir: string): string[] {
  const args = ['--ip=127.0.0.1', `--port=${port}`, '--port-retries=0', '--no-browser', `--ServerApp.root_dir=${rootDir}`];
  if (process.getuid?.() === 0) args.push('--allow-root');
  return args;
}

export interface HttpAnswer { status: number; body: string }

type Requester = (url: string, opts: object, onResponse: (res: import('node:http').IncomingMessage) => void) => import('node:http').ClientRequest;

function get(request: Requester, url: string, opts: object, timeoutMs: number): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ...opts, timeout: timeoutMs, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`timeout: ${url}`)));
    req.on('error', reject);
    req.end();
  });
}

/** GET over HTTPS trusting only `ca` (never rejectUnauthorized: false). */
export function httpsGet(url: string, ca: string | Buffer, timeoutMs = 10_000): Promise<HttpAnswer> {
  return get(httpsRequest as Requester, url, { ca }, timeoutMs);
}

export function httpGet(url: string, timeoutMs = 10_000): Promise<HttpAnswer> {
  return get(httpRequest as Requester, url, {}, timeoutMs);
}

/** Poll until `fn` resolves without throwing (or the deadline passes, then rethrow its last error). */
export async function eventually<T>(fn: () => Promise<T>, ms = 30_000, everyMs = 150): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, everyMs));
    }
  }
}

/** PIDs of the direct children of `pid` (Linux /proc). */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      out.push(...readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
    } catch { /* thread gone */ }
  }
  return out;
}
