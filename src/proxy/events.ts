/**
 * What the proxy reports while it runs, apart from the access log: certificate changes, refused
 * reloads, backends going away. The CLI prints these (human or JSON); a library user gets them as data.
 */
export interface CertFacts {
  names: string[];
  notAfter: string;
  fingerprintSha256: string;
  source: 'local-ca' | 'file';
  files?: { cert: string; key: string };
}

/** Why a local-CA certificate was issued; 'names': this machine's names or addresses changed. */
export type IssueReason = 'start' | 'renewal' | 'expired' | 'names';

export type ProxyEvent =
  | { type: 'cert-issued'; reason: IssueReason; cert: CertFacts }
  | { type: 'cert-renewal-failed'; message: string; retryInMs: number }
  | { type: 'cert-reloaded'; cert: CertFacts; trigger: 'change' | 'signal' | 'request' }
  | { type: 'cert-reload-rejected'; files: { cert: string; key: string }; reason: string; keeping: CertFacts }
  | { type: 'cert-expiring'; cert: CertFacts; daysLeft: number }
  | { type: 'reload'; trigger: 'signal' | 'request'; reloaded: number; rejected: number; unchanged: number }
  | { type: 'name-skipped'; name: string; reason: string }
  /** The URLs to open changed (a new LAN IP, say): every one now, and the difference. */
  | { type: 'urls-changed'; urls: string[]; added: string[]; removed: string[] }
  | { type: 'backend-error'; backend: string; code: string; message: string }
  | { type: 'worker-exit'; worker: number; code: number | null; signal: string | null; restarting: boolean }
  /** inFlight: null from the primary of --workers (each worker reports its own). */
  | { type: 'shutdown'; signal: string; inFlight: number | null }
  | { type: 'stopped' };

export type EventSink = (event: ProxyEvent) => void;

const ISSUED: Record<IssueReason, string> = { start: 'issued', renewal: 'renewed', expired: 'renewed', names: 'names changed: issued a new' };

/** One readable line per event, for people watching a terminal. */
export function describeEvent(e: ProxyEvent): string {
  switch (e.type) {
    case 'cert-issued':
      return `${ISSUED[e.reason]} certificate for ${e.cert.names.join(', ')} (valid until ${e.cert.notAfter}${e.reason === 'expired' ? '; the previous one had expired' : ''})`;
    case 'cert-renewal-failed':
      return `could not renew the certificate: ${e.message} (retrying in ${Math.round(e.retryInMs / 1000)} s; the current one stays in service)`;
    case 'cert-reloaded':
      return `reloaded ${e.cert.files?.cert ?? 'certificate'} (${e.trigger === 'signal' ? 'SIGHUP' : 'file changed'}): ${e.cert.names.join(', ')}, valid until ${e.cert.notAfter}`;
    case 'cert-reload-rejected':
      return `kept the certificate in service (valid until ${e.keeping.notAfter}): the new ${e.files.cert} / ${e.files.key} was refused: ${e.reason}`;
    case 'cert-expiring':
      return `${e.cert.files?.cert ?? 'the certificate'} expires in ${e.daysLeft.toFixed(1)} days (${e.cert.notAfter}); replace the file, tlsdock reloads it by itself`;
    case 'reload':
      return `${e.trigger === 'signal' ? 'SIGHUP' : 'reload'}: ${e.reloaded ? `${e.reloaded} certificate(s) reloaded` : 'no certificate changed'}${e.rejected ? `, ${e.rejected} refused (see above)` : ''}`;
    case 'name-skipped':
      return `left ${e.name} out of the certificate: ${e.reason}`;
    case 'urls-changed':
      return `this machine's addresses changed: open ${e.added.join(', ') || e.urls[0]}${e.removed.length ? ` (gone: ${e.removed.join(', ')})` : ''}`;
    case 'backend-error':
      return `backend ${e.backend}: ${e.message}`;
    case 'worker-exit':
      return `worker ${e.worker} exited (${e.signal ?? `code ${e.code}`})${e.restarting ? '; starting a new one' : ''}`;
    case 'shutdown':
      return e.inFlight === null
        ? `${e.signal}: stopping the workers`
        : `${e.signal}: no longer accepting connections; finishing ${e.inFlight} request(s) in flight`;
    case 'stopped':
      return 'stopped';
  }
}
