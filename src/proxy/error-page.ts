/**
 * The pages the proxy answers itself when it cannot forward: the backend is not running (yet), it
 * failed, it took too long, or no route matches. Each names the backend and says what to do; browsers
 * get HTML that retries by itself while nothing listens, API clients (Jupyter's own front end asks
 * for JSON) get JSON.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export type FailureKind = 'down' | 'refused-tls' | 'timeout' | 'reset' | 'error' | 'no-route';

export interface Failure {
  kind: FailureKind;
  status: 502 | 504 | 404;
  /** One sentence, for the page and the log. */
  message: string;
  /** The system error code (ECONNREFUSED…), when there is one. */
  code?: string;
}

export function classifyBackendError(err: NodeJS.ErrnoException, backend: string): Failure {
  const code = err.code ?? '';
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EADDRNOTAVAIL') {
    return { kind: 'down', status: 502, code, message: `Nothing is listening on ${backend} (${code === 'ECONNREFUSED' ? 'connection refused' : code}).` };
  }
  if (code === 'ETIMEDOUT' || code === 'ESOCKETTIMEDOUT' || err.name === 'BackendTimeout') {
    return { kind: 'timeout', status: 504, code: code || 'ETIMEDOUT', message: `${backend} did not answer in time.` };
  }
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'ERR_STREAM_PREMATURE_CLOSE') {
    return { kind: 'reset', status: 502, code, message: `${backend} closed the connection without an answer.` };
  }
  if (code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS') || /certificate|self.signed|SSL/i.test(err.message)) {
    return { kind: 'refused-tls', status: 502, code, message: `The TLS connection to ${backend} failed: ${err.message}.` };
  }
  if (code === 'HPE_INVALID_CONSTANT') {
    return { kind: 'error', status: 502, code, message: `${backend} did not answer with HTTP/1.1 (is it an HTTPS port? then use --to https://…).` };
  }
  if (code.startsWith('HPE_')) {
    return { kind: 'error', status: 502, code, message: `${backend} sent an answer that cannot be passed on safely: ${err.message}.` };
  }
  return { kind: 'error', status: 502, code: code || undefined, message: `${backend} failed: ${err.message}.` };
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);
}

/**
 * How to start Jupyter so that it listens where the proxy forwards and answers the proxy's names.
 * The proxy keeps the browser's Host header, and Jupyter refuses (403, "Blocking request with non-local
 * 'Host'") a request from a loopback address whose Host is not localhost or a loopback IP: the host
 * name, LAN IP and --name URLs would all fail. allow_remote_access turns that check off; Jupyter's
 * token still guards it, and it still listens on the backend's address only.
 */
export function jupyterHint(backendUrl: URL): string {
  const host = backendUrl.hostname.replace(/^\[|\]$/g, '');
  const port = backendUrl.port || (backendUrl.protocol === 'https:' ? '443' : '80');
  const ip = host === 'localhost' ? '' : ` --ip=${host}`;
  return `jupyter lab --no-browser${ip} --port=${port} ${JUPYTER_BEHIND_PROXY}`;
}

/** The Jupyter option a proxy that keeps the Host header needs (see jupyterHint). */
export const JUPYTER_BEHIND_PROXY = '--ServerApp.allow_remote_access=True';

function wantsJson(req: IncomingMessage): boolean {
  const accept = req.headers.accept ?? '';
  return accept.includes('application/json') && !accept.includes('text/html');
}

/** Answer `req` with a failure page (nothing is sent when the response already started). */
export function sendFailure(req: IncomingMessage, res: ServerResponse, failure: Failure, backend?: URL): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const hint = backend && failure.kind !== 'no-route' ? jupyterHint(backend) : undefined;
  const retry = failure.kind === 'down';
  let body: string;
  let type: string;
  if (wantsJson(req)) {
    type = 'application/json';
    body = JSON.stringify({ error: failure.kind, message: failure.message, backend: backend?.origin ?? null, hint: hint ?? null }) + '\n';
  } else {
    type = 'text/html; charset=utf-8';
    body = page(failure, backend, hint, retry);
  }
  const headers: Record<string, string | number> = {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-tlsdock-error': failure.kind,
  };
  if (retry) headers['retry-after'] = 5;
  res.writeHead(failure.status, headers);
  res.end(req.method === 'HEAD' ? undefined : body);
}

function page(f: Failure, backend: URL | undefined, hint: string | undefined, retry: boolean): string {
  const title = f.kind === 'down' ? 'Waiting for the server' : f.kind === 'no-route' ? 'No such site here' : f.status === 504 ? 'The server took too long' : 'The server failed';
  const target = backend ? `<p>tlsdock forwards this address to <code>${escapeHtml(backend.origin)}</code>.</p>` : '';
  const start = hint && (f.kind === 'down' || f.kind === 'reset')
    ? `<p>Start Jupyter so that it listens there:</p><pre>${escapeHtml(hint)}</pre><p>(or <code>jupyter server</code> / <code>jupyter notebook</code> with the same options), or point tlsdock elsewhere with <code>--to URL</code>.</p>`
    : '';
  const refresh = retry ? '<meta http-equiv="refresh" content="5">' : '';
  const again = retry ? '<p class="dim">This page tries again every 5 seconds.</p>' : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">${refresh}<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${f.status} · ${escapeHtml(title)} · tlsdock</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:42rem;margin:3rem auto;padding:0 1rem;color:#222}
h1{font-size:1.4rem}pre,code{background:#f3f3f3;border-radius:4px;padding:.1rem .3rem}pre{padding:.6rem .8rem;overflow:auto}.dim{color:#777;font-size:.9rem}</style>
</head><body>
<h1>${escapeHtml(title)}</h1>
<p><strong>${escapeHtml(f.message)}</strong></p>
${target}${start}${again}
<p class="dim">${f.status} ${f.status === 504 ? 'Gateway Timeout' : f.status === 404 ? 'Not Found' : 'Bad Gateway'} · answered by the tlsdock proxy</p>
</body></html>
`;
}
