/**
 * The serving half of a worker process: certificates from the primary, the proxy server on the shared
 * listeners, "listening" reported back, and a graceful stop when the primary says so. Used by the lean
 * worker entry (worker-main.ts) and by a re-run program that recognises itself as a worker.
 */
import type { ProxyLog } from './access-log.js';
import type { ListenAddress } from './address.js';
import type { EventSink } from './events.js';
import type { RouteTable } from './routes.js';
import { startProxyServer, type ProxyServer, type ProxyTimeouts } from './server.js';
import { onStopRequest, RemoteCertSource, reportListening } from './workers.js';

export interface WorkerServeOptions {
  listen: readonly ListenAddress[];
  redirectHttp?: ListenAddress;
  routes: RouteTable;
  hsts?: boolean;
  log?: ProxyLog;
  timeouts?: Partial<ProxyTimeouts>;
  maxHeaderBytes?: number;
}

export async function serveAsWorker(opts: WorkerServeOptions): Promise<{ server: ProxyServer; close: (reason?: string) => Promise<void>; closed: Promise<void> }> {
  const certs = new RemoteCertSource();
  await certs.start();
  // Certificate events are the primary's to report; a worker reports what only it sees (its backends,
  // the requests it still finishes on stop).
  const events: EventSink = (e) => { if (e.type === 'backend-error' || e.type === 'shutdown') opts.log?.event(e); };
  const server = await startProxyServer({ ...opts, certs, events });
  if (certs.ticketKeys) server.setTicketKeys(certs.ticketKeys);
  reportListening(server.addresses, server.redirectAddress);
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => { resolveClosed = r; });
  const close = (reason = 'stop') => server.close(reason).then(() => { certs.stop(); resolveClosed(); });
  onStopRequest((reason) => { void close(reason).then(() => process.exit(0)); });
  return { server, close, closed };
}
