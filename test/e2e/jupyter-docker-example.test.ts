/**
 * examples/pytorch-jupyter without a Docker engine: the Dockerfile's own instructions (ENV, the RUN that
 * writes the Jupyter config, USER, ENTRYPOINT, CMD) are read from the file and replayed against a temp
 * folder standing in for the container's file system, in a fresh PID namespace (tini really is PID 1),
 * as uid 1000 (USER jovyan), with Debian's jupyter-server standing in for `jupyter lab`.
 *   cd /work/main && npm run build && node --import tsx --test test/e2e/jupyter-docker-example.test.ts
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { BIN, run } from '../helpers/cli.js';
import { childPids, freePort, httpsGet, JUPYTER_SERVER, start, type Running } from '../helpers/jupyter.js';
import { cleanupTmpDirs, makeTmpDir } from '../helpers/tmp.js';

const EXAMPLE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples', 'pytorch-jupyter');
const running: Running[] = [];
after(async () => {
  await Promise.all(running.map((r) => r.stop()));
  cleanupTmpDirs();
});

const needs = ['/usr/bin/unshare', '/usr/bin/setpriv', '/usr/bin/tini', JUPYTER_SERVER].filter((p) => !existsSync(p));
const skip = (process.getuid?.() !== 0 || needs.length > 0) && `needs root and ${needs.join(', ') || 'nothing else'}`;

interface Dockerfile { env: Record<string, string>; run: string[][]; user: string; uid: number; volume: string; entrypoint: string[]; cmd: string[]; copies: [string, string][] }

/** The last stage's instructions, continuation lines joined. */
function readDockerfile(): Dockerfile {
  const text = readFileSync(join(EXAMPLE, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const last = lines.slice(lines.map((l) => l.startsWith('FROM ')).lastIndexOf(true));
  const d: Dockerfile = { env: {}, run: [], user: 'root', uid: 0, volume: '', entrypoint: [], cmd: [], copies: [] };
  for (const l of last) {
    const [op, ...rest] = l.split(/\s+/);
    const arg = rest.join(' ');
    if (op === 'ENV') for (const m of arg.matchAll(/(\w+)=(\S+)/g)) d.env[m[1]!] = m[2]!;
    if (op === 'RUN') d.run.push(arg.split(/\s+/));
    if (op === 'USER') d.user = arg;
    if (op === 'ARG' && arg.startsWith('NB_UID=')) d.uid = Number(arg.slice(7));
    if (op === 'VOLUME') d.volume = arg;
    if (op === 'ENTRYPOINT') d.entrypoint = JSON.parse(arg) as string[];
    if (op === 'CMD') d.cmd = JSON.parse(arg) as string[];
    if (op === 'COPY' && !arg.startsWith('--from')) d.copies.push(rest as [string, string]);
  }
  return d;
}

const df = readDockerfile();
let root: string;
let port: number;
const TOKEN = 'example-token-1234567890';
/** A container path inside the stand-in file system. */
const at = (p: string) => join(root, p);

before(() => {
  if (skip) return;
  root = makeTmpDir('tlsdock-container-fs-');
  chmodSync(root, 0o755);
  // What the image's layers hold: the tools on PATH, the user's home, the CA folder owned by the user.
  const bin = at('/usr/local/bin');
  mkdirSync(bin, { recursive: true });
  symlinkSync(BIN, join(bin, 'tlsdock'));
  for (const [src, dest] of df.copies) copyFileSync(join(EXAMPLE, '..', '..', src), at(dest));
  writeFileSync(join(bin, 'jupyter'), `#!/bin/sh
# Stand-in for \`jupyter lab\` (JupyterLab runs on jupyter-server, which is what is installed here),
# on the test's loopback port instead of the image's 0.0.0.0:8888.
[ "$1" = lab ] && shift
for a; do shift; case "$a" in --ip=*) set -- "$@" --ip=127.0.0.1;; --port=*) set -- "$@" --port=$TEST_PORT;; *) set -- "$@" "$a";; esac; done
exec ${JUPYTER_SERVER} --port-retries=0 "$@"
`, { mode: 0o755 });
  mkdirSync(at('/home/jovyan'), { recursive: true });
  chownSync(at('/home/jovyan'), df.uid, df.uid);
  mkdirSync(at(df.volume), { recursive: true, mode: 0o700 });
  chownSync(at(df.volume), df.uid, df.uid);
  for (const p of ['/var', '/var/lib', '/usr', '/usr/local', '/home', '/etc']) if (existsSync(at(p))) chmodSync(at(p), 0o755);
  // The build step that writes the Jupyter config, exactly as the Dockerfile has it (paths mapped).
  const cfg = df.run.find((r) => r[0] === 'tlsdock' && r[1] === 'jupyter');
  assert.ok(cfg, 'the Dockerfile writes the Jupyter config with tlsdock');
  const args = cfg.slice(1).map((a) => (a.startsWith('/') ? at(a) : a));
  const r = run(process.execPath, [BIN, ...args]);
  assert.equal(r.status, 0, r.stderr);
  mkdirSync(at('/etc/jupyter'), { recursive: true });
  chmodSync(at('/etc/jupyter'), 0o755);
});

/** `docker run` of the image: ENTRYPOINT + CMD (or a CMD override), as USER, with tini as PID 1. */
function dockerRun(cmd: string[] = df.cmd): Running {
  const env: Record<string, string> = {
    PATH: `${at('/usr/local/bin')}:/usr/bin:/bin`,
    HOME: at('/home/jovyan'),
    JUPYTER_TOKEN: TOKEN,
    JUPYTER_CONFIG_PATH: at('/etc/jupyter'), // the image's /etc/jupyter
    TEST_PORT: String(port),
    NO_COLOR: '1',
  };
  for (const [k, v] of Object.entries(df.env)) env[k] = v.startsWith('/') ? at(v) : v;
  const argv = [...df.entrypoint, ...cmd];
  const r = start('/usr/bin/unshare', ['--pid', '--fork', '--mount-proc', '/usr/bin/setpriv', `--reuid=${df.uid}`, `--regid=${df.uid}`, '--clear-groups', '--', '/usr/bin/env', '-i', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...argv], { cwd: at('/home/jovyan') });
  running.push(r);
  return r;
}

/** `docker stop`: SIGTERM to the container's PID 1. */
async function dockerStop(c: Running): Promise<number> {
  const [pid1] = childPids(c.pid);
  assert.ok(pid1, 'the container has a PID 1');
  assert.match(readFileSync(`/proc/${pid1}/cmdline`, 'utf8'), /^tini\0--\0tlsdock-entrypoint/);
  process.kill(pid1, 'SIGTERM');
  return c.exited;
}

test('the Dockerfile: tini as PID 1, tlsdock-entrypoint, jupyter lab as CMD, jovyan, the CA folder a volume', { timeout: 45_000 }, () => {
  assert.deepEqual(df.entrypoint, ['tini', '--', 'tlsdock-entrypoint']);
  assert.deepEqual(df.cmd.slice(0, 2), ['jupyter', 'lab']);
  assert.equal(df.user, 'jovyan');
  assert.equal(df.volume, '/var/lib/tlsdock');
  assert.equal(df.env.TLSDOCK_HOME, df.volume);
  assert.ok(df.env.JUPYTER_CERTFILE?.startsWith(df.volume + '/') && df.env.JUPYTER_KEYFILE?.startsWith(df.volume + '/'), 'the pair lives on the volume too');
  assert.ok(!readFileSync(join(EXAMPLE, 'Dockerfile'), 'utf8').includes('openssl req'), 'no certificate is baked into the image');
  assert.equal(statSync(join(EXAMPLE, 'entrypoint.sh')).mode & 0o111, 0o111, 'the entrypoint is executable');
});

test('docker-compose.yml: the CA volume at the Dockerfile\'s VOLUME, a fixed host name, no second init', { timeout: 45_000 }, () => {
  const compose = YAML.parse(readFileSync(join(EXAMPLE, 'docker-compose.yml'), 'utf8')) as { services: Record<string, { build: { context: string; dockerfile: string }; hostname?: string; init?: boolean; volumes: string[]; environment: Record<string, string> }>; volumes: Record<string, unknown> };
  const svc = compose.services.jupyter!;
  assert.ok(existsSync(join(EXAMPLE, svc.build.context, svc.build.dockerfile)));
  const ca = svc.volumes.find((v) => v.endsWith(`:${df.volume}`));
  assert.ok(ca && ca.split(':')[0]! in compose.volumes, 'a named volume holds the CA');
  assert.ok(svc.hostname);
  assert.notEqual(svc.init, true);
  assert.ok('JUPYTER_TOKEN' in svc.environment);
});

test('first start creates the CA on the volume and serves trusted HTTPS; a restart keeps both; docker stop ends it cleanly', { timeout: 45_000, skip }, async () => {
  port = await freePort();
  const first = dockerRun();
  await first.waitFor(new RegExp(`https://127\\.0\\.0\\.1:${port}/`));
  assert.match(first.err(), new RegExp(`^created: expires in 30 days — ${at(df.env.JUPYTER_CERTFILE!)}$`, 'm'));
  assert.match(first.err(), /^created a CA /m);
  assert.doesNotMatch(first.err(), /WITHOUT TLS|PID 1 without an init|Tini is not running as PID 1/);
  const ca = readFileSync(at(`${df.volume}/ca.pem`));
  const api = `https://localhost:${port}/api/status?token=${TOKEN}`;
  assert.equal((await httpsGet(api, ca)).status, 200);
  const key = statSync(at(df.env.JUPYTER_KEYFILE!));
  assert.deepEqual([key.uid, key.mode & 0o777], [df.uid, 0o600], 'the key belongs to the container user');
  const leaf = readFileSync(at(df.env.JUPYTER_CERTFILE!));
  assert.equal(await dockerStop(first), 0);

  port = await freePort();
  const second = dockerRun();
  await second.waitFor(new RegExp(`https://127\\.0\\.0\\.1:${port}/`));
  assert.match(second.err(), /^kept: expires in 30 days/m);
  assert.doesNotMatch(second.err(), /created a CA/);
  assert.deepEqual(readFileSync(at(`${df.volume}/ca.pem`)), ca, 'the CA browsers trust is the same');
  assert.deepEqual(readFileSync(at(df.env.JUPYTER_CERTFILE!)), leaf);
  assert.equal((await httpsGet(`https://localhost:${port}/api/status?token=${TOKEN}`, ca)).status, 200);
  assert.equal(await dockerStop(second), 0);
});

test('`docker run IMAGE CMD…` still goes through ensure, and CMD\'s exit code is the container\'s', { timeout: 45_000, skip }, async () => {
  port = await freePort();
  const c = dockerRun(['sh', '-c', 'test -r "$JUPYTER_KEYFILE" && exit 3']);
  assert.equal(await c.exited, 3);
  assert.match(c.err(), /^(kept|created): /m);
});
