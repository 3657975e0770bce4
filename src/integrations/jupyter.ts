import * as net from 'node:net';
import * as tls from 'node:tls';
import { findOnPath } from './exec.js';

/** Which settings class the config file configures: ServerApp (jupyter_server, Notebook 7, Lab 3+) or NotebookApp (Notebook ≤ 6). */
export type JupyterFlavour = 'server' | 'classic';

export interface JupyterConfigTextOptions {
  classic?: boolean;
  /** Default paths baked into the file; without them the file computes $TLSDOCK_HOME/jupyter/{cert,key}.pem at start-up. */
  certFile?: string;
  keyFile?: string;
}

const pyString = (s: string) => JSON.stringify(s); // a JSON string literal is a valid Python literal for any path

/**
 * The text of a jupyter_server_config.py (or jupyter_notebook_config.py with `classic`).
 * It picks the pair from JUPYTER_CERTFILE / JUPYTER_KEYFILE, and loads it with Python's ssl module
 * before handing it to Jupyter: Jupyter 1.23 starts "successfully" with a DER certificate, an
 * unreadable key or a mismatched pair and then fails every handshake, which is the worst outcome.
 */
export function jupyterConfigText(opts: JupyterConfigTextOptions = {}): string {
  const app = opts.classic ? 'NotebookApp' : 'ServerApp';
  const certDefault = opts.certFile ? pyString(opts.certFile) : 'os.path.join(_tlsdock_home(), "jupyter", "cert.pem")';
  const keyDefault = opts.keyFile ? pyString(opts.keyFile) : 'os.path.join(_tlsdock_home(), "jupyter", "key.pem")';
  const shownCert = opts.certFile ?? '$TLSDOCK_HOME/jupyter/cert.pem';
  const shownKey = opts.keyFile ?? '$TLSDOCK_HOME/jupyter/key.pem';
  return `# Jupyter configuration written by \`tlsdock jupyter config${opts.classic ? ' --classic' : ''}\` Edit freely.
#
# HTTPS with the certificate that \`tlsdock ensure\` (or \`tlsdock jupyter run\`) keeps valid:
#   JUPYTER_CERTFILE  the certificate, PEM with its chain  (default: ${shownCert})
#   JUPYTER_KEYFILE   its private key, PEM                 (default: ${shownKey})
#   JUPYTER_TLS       auto (default): HTTPS when the pair is usable, otherwise plain HTTP with a loud warning
#                     require: refuse to start without a usable pair
#                     off: plain HTTP (behind a proxy that does TLS)
# Jupyter itself starts "successfully" with a DER certificate, an unreadable key or a key that does not
# match, and then every connection fails; so the pair is loaded once here before Jupyter gets it.
# Under JupyterHub (JUPYTERHUB_API_TOKEN set) "auto" leaves TLS to the Hub unless JUPYTER_CERTFILE is set.
import os
import ssl
import sys


def _tlsdock_home():
    home = os.environ.get("TLSDOCK_HOME")
    if home:
        return os.path.abspath(home)
    if sys.platform == "darwin":
        return os.path.expanduser("~/Library/Application Support/tlsdock")
    if sys.platform == "win32":
        return os.path.join(os.environ.get("LOCALAPPDATA") or os.path.expanduser("~/AppData/Local"), "tlsdock")
    return os.path.join(os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share"), "tlsdock")


def _tlsdock_problem(certfile, keyfile):
    """None when Jupyter can serve HTTPS with this pair, otherwise one sentence saying why not."""
    for path, what in ((certfile, "certificate"), (keyfile, "key")):
        if not os.path.exists(path):
            return "the %s file %s does not exist" % (what, path)
        if not os.access(path, os.R_OK):
            uid = os.getuid() if hasattr(os, "getuid") else "?"
            return "the %s file %s is not readable by this user (uid %s)" % (what, path, uid)

    def _no_password():
        raise ValueError("the key is password-protected, which a server cannot open unattended")

    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(certfile, keyfile, password=_no_password)
    except Exception as e:  # ssl.SSLError for DER, garbage or a mismatched pair
        return "%s and %s cannot be used together (%s)" % (certfile, keyfile, e)
    return None


def _tlsdock_banner(lines):
    bar = "!" * 78
    sys.stderr.write("\\n".join([bar] + ["!! " + line for line in lines] + [bar]) + "\\n")
    sys.stderr.flush()


def _tlsdock_tls(app):
    mode = (os.environ.get("JUPYTER_TLS") or "auto").strip().lower()
    if mode in ("off", "0", "no", "false"):
        return
    if mode == "auto" and os.environ.get("JUPYTERHUB_API_TOKEN") and not os.environ.get("JUPYTER_CERTFILE"):
        return
    certfile = os.environ.get("JUPYTER_CERTFILE") or ${certDefault}
    keyfile = os.environ.get("JUPYTER_KEYFILE") or ${keyDefault}
    problem = _tlsdock_problem(certfile, keyfile)
    if problem is None:
        app.certfile = certfile
        app.keyfile = keyfile
        return
    fix = "tlsdock ensure --cert %s --key %s" % (certfile, keyfile)
    if mode == "require":
        _tlsdock_banner(["Jupyter will not start: JUPYTER_TLS=require, but " + problem + ".", "Fix: " + fix])
        sys.exit(2)
    _tlsdock_banner([
        "WARNING: Jupyter is starting on plain HTTP, WITHOUT TLS, because",
        problem + ".",
        "The token and your notebooks cross the network in clear text.",
        "Fix: " + fix,
        "(JUPYTER_TLS=require refuses to start instead; JUPYTER_TLS=off silences this.)",
    ])


_tlsdock_tls(c.${app})  # noqa: F821 - \`c\` is the config object Jupyter provides

# Usual container settings; uncomment what you need:
# c.${app}.ip = "0.0.0.0"
# c.${app}.port = 8888
# c.${app}.open_browser = False
# c.${app}.allow_root = True  # only when the server must run as root
`;
}

/** How to start a Jupyter application: `jupyter-server` if installed, else `jupyter server` (and the same for lab, notebook). */
export function jupyterCommand(app: 'server' | 'lab' | 'notebook' = 'server', envPath = process.env.PATH ?? ''): string[] | undefined {
  const direct = findOnPath(`jupyter-${app}`, envPath);
  if (direct) return [direct];
  const jupyter = findOnPath('jupyter', envPath);
  return jupyter ? [jupyter, app] : undefined;
}

/** A wildcard bind address: the server answers on every interface. */
export function isWildcardIp(ip: string): boolean {
  return ip === '' || ip === '*' || ip === '0.0.0.0' || ip === '::' || ip === '[::]';
}

/** URL host part: IPv6 literals in brackets. */
export function urlHost(host: string): string {
  return net.isIPv6(host) ? `[${host}]` : host;
}

/**
 * The URLs to print: for a wildcard bind, localhost and each non-loopback IP the certificate names
 * (the LAN addresses a colleague would use); for a specific bind, that address (localhost for loopback).
 */
export function jupyterUrls(ip: string, port: number, token: string, certIps: readonly string[]): string[] {
  const q = `/?token=${encodeURIComponent(token)}`;
  if (!isWildcardIp(ip)) {
    const host = ip === '127.0.0.1' || ip === '::1' ? 'localhost' : ip;
    return [`https://${urlHost(host)}:${port}${q}`];
  }
  const lan = certIps.filter((a) => a !== '127.0.0.1' && a !== '::1' && (ip !== '0.0.0.0' || net.isIPv4(a)));
  return [`https://localhost:${port}${q}`, ...lan.map((a) => `https://${urlHost(a)}:${port}${q}`)];
}

/**
 * Wait until an HTTPS server on host:port completes a handshake that a client trusting only `caPem`
 * accepts for `servername`, i.e. until the printed URL really opens without a warning.
 * Resolves false if `gaveUp` resolves first (the server exited).
 */
export async function waitForTrustedTls(opts: { host: string; port: number; servername: string; caPem: string; gaveUp: Promise<unknown>; intervalMs?: number }): Promise<boolean> {
  let stopped = false;
  void opts.gaveUp.then(() => { stopped = true; });
  while (!stopped) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = tls.connect({ host: opts.host, port: opts.port, servername: net.isIP(opts.servername) ? undefined : opts.servername, ca: opts.caPem, checkServerIdentity: (_h, cert) => tls.checkServerIdentity(opts.servername, cert) });
      socket.setTimeout(3000, () => socket.destroy());
      socket.once('secureConnect', () => { resolve(socket.authorized); socket.end(); });
      socket.once('error', () => resolve(false));
      socket.once('close', () => resolve(false));
    });
    if (ok) return true;
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 150));
  }
  return false;
}
