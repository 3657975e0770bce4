import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { issueLeaf } from '../../src/pki/leaf.js';
import { parseNames } from '../../src/pki/names.js';
import { isWildcardIp, jupyterCommand, jupyterConfigText, jupyterUrls } from '../../src/integrations/jupyter.js';
import { DEBIAN_PYTHON } from '../helpers/jupyter.js';
import { makeTestCA } from '../helpers/pki.js';
import { cleanupTmpDirs, makeTmpDir } from '../helpers/tmp.js';

after(cleanupTmpDirs);

const dir = makeTmpDir();
const pair = { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem'), otherKey: join(dir, 'other-key.pem'), der: join(dir, 'cert.der') };

before(async () => {
  const ca = await makeTestCA(dir);
  const names = parseNames(['localhost', '127.0.0.1']);
  const a = await issueLeaf({ ca, names, days: 30 });
  const b = await issueLeaf({ ca, names, days: 30 });
  writeFileSync(pair.cert, a.fullchainPem);
  writeFileSync(pair.key, a.keyPem!, { mode: 0o600 });
  writeFileSync(pair.otherKey, b.keyPem!, { mode: 0o600 });
  writeFileSync(pair.der, new X509Certificate(a.certPem).raw);
});

/** Execute a generated config the way Jupyter does (a traitlets Config named `c`) with Debian's Python. */
function load(text: string, env: NodeJS.ProcessEnv, app = 'ServerApp', uid?: number): { status: number; settings: Record<string, string>; stderr: string } {
  const cfgDir = makeTmpDir();
  chmodSync(cfgDir, 0o755);
  const file = join(cfgDir, 'jupyter_server_config.py');
  writeFileSync(file, text, { mode: 0o644 });
  const py = `import json, sys\nfrom traitlets.config import Config\nc = Config()\nexec(compile(open(sys.argv[1]).read(), sys.argv[1], "exec"), {"c": c})\nprint(json.dumps(dict(getattr(c, sys.argv[2]))))`;
  const r = spawnSync(DEBIAN_PYTHON, ['-c', py, file, app], { env: { PATH: '/usr/bin:/bin', HOME: dir, ...env }, encoding: 'utf8', uid, gid: uid });
  return { status: r.status ?? -1, settings: r.status === 0 ? JSON.parse(r.stdout) as Record<string, string> : {}, stderr: r.stderr };
}

test('the text configures ServerApp, or NotebookApp with classic; it documents its variables', () => {
  const t = jupyterConfigText();
  assert.match(t, /^_tlsdock_tls\(c\.ServerApp\)/m);
  assert.doesNotMatch(t, /NotebookApp/);
  for (const v of ['JUPYTER_CERTFILE', 'JUPYTER_KEYFILE', 'JUPYTER_TLS']) assert.match(t, new RegExp(`^#.*${v}`, 'm'));
  const classic = jupyterConfigText({ classic: true });
  assert.match(classic, /^_tlsdock_tls\(c\.NotebookApp\)/m);
  assert.doesNotMatch(classic.replace(/^#.*$/gm, ''), /ServerApp/);
});

test('a usable pair from the environment becomes certfile/keyfile, silently', () => {
  const r = load(jupyterConfigText(), { JUPYTER_CERTFILE: pair.cert, JUPYTER_KEYFILE: pair.key });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.settings, { certfile: pair.cert, keyfile: pair.key });
  assert.equal(r.stderr, '');
  const classic = load(jupyterConfigText({ classic: true }), { JUPYTER_CERTFILE: pair.cert, JUPYTER_KEYFILE: pair.key }, 'NotebookApp');
  assert.deepEqual(classic.settings, { certfile: pair.cert, keyfile: pair.key });
});

test('defaults: $TLSDOCK_HOME (else $XDG_DATA_HOME/tlsdock)/jupyter/{cert,key}.pem, or paths baked in at generation', () => {
  const xdg = makeTmpDir();
  const home = join(xdg, 'tlsdock');
  mkdirSync(join(home, 'jupyter'), { recursive: true });
  spawnSync('cp', [pair.cert, join(home, 'jupyter', 'cert.pem')]);
  spawnSync('cp', [pair.key, join(home, 'jupyter', 'key.pem')]);
  const expected = { certfile: join(home, 'jupyter', 'cert.pem'), keyfile: join(home, 'jupyter', 'key.pem') };
  assert.deepEqual(load(jupyterConfigText(), { TLSDOCK_HOME: home }).settings, expected);
  assert.deepEqual(load(jupyterConfigText(), { XDG_DATA_HOME: xdg }).settings, expected);
  const other = load(jupyterConfigText(), { XDG_DATA_HOME: makeTmpDir() });
  assert.deepEqual(other.settings, {}, 'another home: no pair there');
  assert.match(other.stderr, /tlsdock\/jupyter\/cert\.pem does not exist/);
  assert.deepEqual(load(jupyterConfigText({ certFile: pair.cert, keyFile: pair.key }), {}).settings, { certfile: pair.cert, keyfile: pair.key });
});

test('a missing file: HTTP, and a loud warning naming that file', () => {
  const r = load(jupyterConfigText(), { JUPYTER_CERTFILE: pair.cert, JUPYTER_KEYFILE: join(dir, 'nope-key.pem') });
  assert.equal(r.status, 0);
  assert.deepEqual(r.settings, {});
  assert.match(r.stderr, /^!{78}$/m);
  assert.match(r.stderr, /WARNING: Jupyter is starting on plain HTTP, WITHOUT TLS/);
  assert.match(r.stderr, new RegExp(`the key file ${join(dir, 'nope-key.pem')} does not exist`));
  assert.match(r.stderr, new RegExp(`Fix: tlsdock ensure --cert ${pair.cert} --key ${join(dir, 'nope-key.pem')}`));
});

test('the pairs Jupyter would accept and then fail every handshake with: mismatched, DER', () => {
  const mismatch = load(jupyterConfigText(), { JUPYTER_CERTFILE: pair.cert, JUPYTER_KEYFILE: pair.otherKey });
  assert.deepEqual(mismatch.settings, {});
  assert.match(mismatch.stderr, /cannot be used together \(.*KEY_VALUES_MISMATCH/);
  const der = load(jupyterConfigText(), { JUPYTER_CERTFILE: pair.der, JUPYTER_KEYFILE: pair.key });
  assert.deepEqual(der.settings, {});
  assert.match(der.stderr, /cannot be used together \(.*PEM lib/);
});

test('an unreadable key (the container user is not its owner) is named as such', { skip: process.getuid?.() !== 0 && 'needs root to run Python as uid 1000' }, () => {
  const d = makeTmpDir();
  chmodSync(d, 0o755);
  const key = join(d, 'key.pem');
  writeFileSync(key, 'secret', { mode: 0o600 });
  const cert = join(d, 'cert.pem');
  spawnSync('cp', [pair.cert, cert]);
  chmodSync(cert, 0o644);
  const r = load(jupyterConfigText(), { JUPYTER_CERTFILE: cert, JUPYTER_KEYFILE: key }, 'ServerApp', 1000);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.settings, {});
  assert.match(r.stderr, new RegExp(`the key file ${key} is not readable by this user \\(uid 1000\\)`));
});

test('JUPYTER_TLS=require refuses to start; off stays quiet; under JupyterHub auto leaves TLS to the Hub', () => {
  const req = load(jupyterConfigText(), { JUPYTER_TLS: 'require', JUPYTER_CERTFILE: join(dir, 'none.pem'), JUPYTER_KEYFILE: pair.key });
  assert.equal(req.status, 2);
  assert.match(req.stderr, /Jupyter will not start: JUPYTER_TLS=require, but the certificate file .*none\.pem does not exist/);
  const reqOk = load(jupyterConfigText(), { JUPYTER_TLS: 'require', JUPYTER_CERTFILE: pair.cert, JUPYTER_KEYFILE: pair.key });
  assert.deepEqual(reqOk.settings, { certfile: pair.cert, keyfile: pair.key });
  const off = load(jupyterConfigText(), { JUPYTER_TLS: 'off', JUPYTER_CERTFILE: pair.cert, JUPYTER_KEYFILE: pair.key });
  assert.deepEqual([off.settings, off.stderr], [{}, '']);
  const hub = load(jupyterConfigText(), { JUPYTERHUB_API_TOKEN: 'x' });
  assert.deepEqual([hub.settings, hub.stderr], [{}, '']);
  const hubExplicit = load(jupyterConfigText(), { JUPYTERHUB_API_TOKEN: 'x', JUPYTER_CERTFILE: pair.cert, JUPYTER_KEYFILE: pair.key });
  assert.deepEqual(hubExplicit.settings, { certfile: pair.cert, keyfile: pair.key });
});

test('URLs: localhost for loopback binds; localhost and LAN IPs for wildcard binds; the token is URL-encoded', () => {
  assert.deepEqual(jupyterUrls('127.0.0.1', 8888, 'abc', ['127.0.0.1', '::1', '192.168.1.5']), ['https://localhost:8888/?token=abc']);
  assert.deepEqual(jupyterUrls('localhost', 8888, 'abc', []), ['https://localhost:8888/?token=abc']);
  assert.deepEqual(jupyterUrls('0.0.0.0', 9999, 'a b', ['127.0.0.1', '::1', '192.168.1.5', 'fd00::2']), ['https://localhost:9999/?token=a%20b', 'https://192.168.1.5:9999/?token=a%20b']);
  assert.deepEqual(jupyterUrls('::', 1, 't', ['192.168.1.5', 'fd00::2']), ['https://localhost:1/?token=t', 'https://192.168.1.5:1/?token=t', 'https://[fd00::2]:1/?token=t']);
  assert.deepEqual(jupyterUrls('10.0.0.7', 1, 't', []), ['https://10.0.0.7:1/?token=t']);
  assert.equal(isWildcardIp('0.0.0.0') && isWildcardIp('') && isWildcardIp('::') && !isWildcardIp('127.0.0.1'), true);
});

test('jupyterCommand prefers jupyter-<app>, else `jupyter <app>`', () => {
  const a = makeTmpDir();
  const b = makeTmpDir();
  for (const [d, f] of [[a, 'jupyter-server'], [b, 'jupyter']] as const) { writeFileSync(join(d, f), '#!/bin/sh\n'); chmodSync(join(d, f), 0o755); }
  assert.deepEqual(jupyterCommand('server', `${a}:${b}`), [join(a, 'jupyter-server')]);
  assert.deepEqual(jupyterCommand('lab', `${a}:${b}`), [join(b, 'jupyter'), 'lab']);
  assert.equal(jupyterCommand('server', makeTmpDir()), undefined);
});
