import { Command } from '@commander-js/extra-typings';
import type { ProxyHandle, ProxyInfo, ProxyOptions } from '../index.js';
import { TlsdockError } from '../errors.js';
import { formatDuration } from '../integrations/duration.js';
import { action, c, examples, line } from './output.js';
import { collect } from './parse.js';
import { addProxyAddressOptions, addProxyServingOptions, proxyOptionsFrom } from './proxy-options.js';

/** --cert and --key come in pairs, in order. */
export function certPairs(certs: readonly string[], keys: readonly string[]): ProxyOptions['certFiles'] {
  if (certs.length === 0 && keys.length === 0) return undefined;
  if (certs.length !== keys.length) {
    throw new TlsdockError('usage', `Give one --key per --cert (got ${certs.length} --cert and ${keys.length} --key).`, { fix: 'tlsdock proxy --to URL --cert site.pem --key site-key.pem' });
  }
  return certs.map((cert, i) => ({ cert, key: keys[i]! }));
}

function until(iso: string): string {
  return iso.slice(0, 16).replace('T', ' ') + ' UTC';
}

export function renderProxyInfo(info: ProxyInfo, heading: string): void {
  line(`${c.green('✓')} ${heading} ${c.dim(`(pid ${info.pid}${info.workers > 0 ? `, ${info.workers} worker${info.workers > 1 ? 's' : ''}` : ''})`)}`);
  for (const b of info.backends) line(`  forwarding   ${b.host === '*' ? 'https' : c.bold(b.host)} → ${b.url}`);
  for (const cert of info.certificates) {
    const from = cert.source === 'local-ca' ? 'from the local CA' : `from ${cert.files?.cert}`;
    line(`  certificate  ${cert.key} ${from}, for ${cert.names.join(', ')}`);
    line(`               valid until ${until(cert.notAfter)}${info.renewal ? `, renewed by itself every ${formatDuration(info.renewal.lifetimeHours * 3600_000 * info.renewal.renewAfterFraction)}` : ', reloaded when the file changes or on SIGHUP'}`);
  }
  for (const s of info.skippedNames) line(`  ${c.yellow('skipped')}      ${s.name}: ${s.reason}`);
  if (info.redirect) line(`  redirect     http://…:${info.redirect.port} → https`);
  line(`  open         ${info.urls.map((u, i) => (i === 0 ? c.cyan(u) : u)).join('\n               ')}`);
}

/**
 * Keep the process alive until a signal stops the proxy: SIGINT/SIGTERM drain and stop, a second one
 * stops at once; SIGHUP reloads. The handlers are installed synchronously, before the first await.
 */
export async function runUntilStopped(handle: ProxyHandle): Promise<void> {
  if (handle.role === 'worker') {
    await handle.closed;
    process.exit(0);
  }
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(130);
    stopping = true;
    void handle.close(signal);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.on('SIGHUP', () => { void handle.reload().catch(() => { /* reported as events */ }); });
  await handle.closed;
  process.exit(0);
}

export function proxyCommand() {
  const base = new Command('proxy')
    .description('HTTPS reverse proxy in front of Jupyter or any local server: trusted certificates that renew themselves, WebSockets, streaming uploads')
    .option('--to <url>', 'where to forward, e.g. http://127.0.0.1:8888');
  const withFiles = addProxyAddressOptions(base)
    .option('--cert <file>', 'serve this certificate (chain) instead of the local CA\'s; repeatable, paired with --key', collect, [] as string[])
    .option('--key <file>', 'the key of the matching --cert', collect, [] as string[]);
  return addProxyServingOptions(withFiles)
    .addHelpText('after', examples(
      'tlsdock proxy --to http://127.0.0.1:8888',
      'tlsdock proxy --to 127.0.0.1:8888 --listen 443 --redirect-http 80 --name lab.ai-lab.local',
      'tlsdock proxy --route lab.ai-lab.local=http://127.0.0.1:8888 --route docs.ai-lab.local=http://127.0.0.1:8000',
      'tlsdock proxy --to http://127.0.0.1:8888 --cert /etc/tls/site.pem --key /etc/tls/site-key.pem   # kill -HUP to reload',
      'tlsdock proxy --to http://127.0.0.1:8888 --workers 2 --log-format json',
    ))
    .action(action(async (o) => {
      const certFiles = certPairs(o.cert, o.key);
      const shared = proxyOptionsFrom(o);
      const { startProxy } = await import('../api/proxy.js');
      const handle = await startProxy({ to: o.to, ...shared, certFiles });
      // Signal handlers go in before "listening" is printed: whoever reads that line may stop us at once.
      const stopped = runUntilStopped(handle);
      if (handle.role !== 'worker') {
        if (o.json) process.stdout.write(JSON.stringify({ ok: true, event: 'listening', ...handle.info }) + '\n');
        else {
          renderProxyInfo(handle.info, 'tlsdock proxy is running');
          if (handle.info.ca?.created) line(`  ${c.yellow('new CA')}       run ${c.cyan('tlsdock trust install')} so browsers trust it (or use ${c.cyan('tlsdock up')})`);
          line(c.dim('  Stop with Ctrl-C.'));
        }
      }
      await stopped;
    }));
}
