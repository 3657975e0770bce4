/**
 * Entry point of a lean worker process (bundled as dist/proxy-worker.cjs): the proxy's data path and
 * nothing else. Its configuration comes from the primary in $TLSDOCK_PROXY_WORKER_CONFIG, its
 * certificates over IPC. Nothing here may import the certificate-making code (see cert-source.ts).
 */
import { ProxyLog } from './access-log.js';
import { routeTable } from './routes.js';
import { serveAsWorker } from './worker-serve.js';
import { readWorkerConfig, reportFailureAndExit } from './workers.js';

async function main(): Promise<void> {
  const cfg = readWorkerConfig();
  const log = cfg.log ? new ProxyLog({ format: cfg.log.format, access: cfg.log.access ? process.stdout : null }) : undefined;
  await serveAsWorker({
    listen: cfg.listen,
    redirectHttp: cfg.redirectHttp,
    routes: routeTable(cfg.to, cfg.routes, { extraCAs: cfg.extraCAs }),
    hsts: cfg.hsts,
    log,
    timeouts: cfg.timeouts,
    maxHeaderBytes: cfg.maxHeaderBytes,
  });
}

main().catch(reportFailureAndExit);
