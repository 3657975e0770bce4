import { Command, Option } from '@commander-js/extra-typings';
import type { StoreSelection, UpResult } from '../index.js';
import { UP_DEFAULT_TO } from '../proxy/address.js';
import { STORE_GROUPS } from '../trust/store-groups.js';
import { action, c, examples, line } from './output.js';
import { collect } from './parse.js';
import { renderProxyInfo, runUntilStopped } from './proxy.js';
import { addProxyAddressOptions, addProxyServingOptions, proxyOptionsFrom } from './proxy-options.js';

const STORE_CHOICES = [...STORE_GROUPS, 'all'] as const;

function renderTrust(r: UpResult): void {
  const t = r.trust;
  if (t === null) {
    line(`${c.dim('-')} trust        skipped (--no-trust); browsers will warn until you run ${c.cyan('tlsdock trust install')}`);
    return;
  }
  if ('error' in t) {
    line(`${c.yellow('!')} trust        ${t.error.message}${t.error.fix ? ` ${c.dim(`(${t.error.fix})`)}` : ''}`);
    return;
  }
  const done = t.stores.filter((s) => s.outcome === 'installed' || s.outcome === 'already-present');
  const open = t.stores.filter((s) => s.expected && s.present !== true);
  const mark = open.length ? c.yellow('!') : c.green('✓');
  const said = done.map((s) => `${s.title} ${s.outcome === 'installed' ? 'installed' : 'already trusted'}`).join(', ') || 'no store changed';
  line(`${mark} trust        ${said}`);
  for (const s of open) line(`               ${c.yellow(s.title)}: ${s.message ?? s.outcome}`);
  for (const f of t.fixes) line(`               to finish: ${c.cyan(f)}`);
  if (done.some((s) => s.group === 'nss' && s.outcome === 'installed')) line(c.dim('               restart the browser: it reads trust at start-up'));
}

function renderBackend(b: UpResult['backend']): void {
  if (!b.listening) {
    line(`${c.yellow('!')} backend      nothing listens on ${b.url} yet; the URLs above show a waiting page until it does. Start Jupyter:`);
    line(`               ${c.cyan(b.hint)}`);
  } else if (b.refusesOtherHosts) {
    line(`${c.yellow('!')} backend      Jupyter on ${b.url} answers 403 to every URL above but localhost's (it refuses a Host that is not local).`);
    const loopback = /^(127\.|\[::1\]|localhost$)/.test(new URL(b.url).hostname);
    line(`               Restart it with ${c.cyan('--ServerApp.allow_remote_access=True')}${loopback ? '; it still listens on loopback only' : ''}:`);
    line(`               ${c.cyan(b.hint)}`);
  }
}

function render(r: UpResult): void {
  line(`${c.green('✓')} CA           ${r.ca.subject} ${r.ca.created ? c.green('(created)') : c.dim('(existing)')}`);
  renderTrust(r);
  if (r.alreadyRunning) {
    line(`${c.green('✓')} proxy        already running on this port (a certificate from this CA answers there)`);
    line(`  open         ${r.alreadyRunning.urls.map((u, i) => (i === 0 ? c.cyan(u) : u)).join('\n               ')}`);
    renderBackend(r.backend);
    return;
  }
  renderProxyInfo(r.proxy!.info, 'proxy is running');
  renderBackend(r.backend);
  line(c.dim('  Stop with Ctrl-C. Run tlsdock up again any time: it reuses the CA and the trust.'));
}

export function upCommand() {
  const base = new Command('up')
    .description('the one-minute path: local CA, trust, and an HTTPS proxy to Jupyter (or any local server) with certificates that renew themselves')
    .option('--to <url>', `where to forward (default ${UP_DEFAULT_TO}, Jupyter's port)`);
  const withTrust = addProxyAddressOptions(base)
    .addOption(new Option('--store <store>', `trust only these stores: ${STORE_CHOICES.join('|')}; repeatable (default: system, nss, java)`).choices(STORE_CHOICES).argParser((v: string, prev: string[] | undefined) => collect(v, prev ?? [])))
    .option('--no-trust', 'do not touch any trust store');
  return addProxyServingOptions(withTrust)
    .addHelpText('after', examples(
      'tlsdock up',
      'tlsdock up --to http://127.0.0.1:8888 --listen 8443 --name lab.ai-lab.local',
      'tlsdock up --store nss          # only the browsers\' store, nothing that needs root',
      'tlsdock up --to http://127.0.0.1:3000 --listen 443 --redirect-http 80',
    ))
    .action(action(async (o) => {
      const shared = proxyOptionsFrom(o);
      const { up } = await import('../api/up.js');
      const r = await up({ to: o.to, ...shared, noTrust: !o.trust, stores: o.store as StoreSelection[] | undefined });
      if (r.proxy?.role === 'worker') return runUntilStopped(r.proxy);
      // Signal handlers go in before the URLs are printed: whoever reads them may stop us at once.
      const stopped = r.proxy ? runUntilStopped(r.proxy) : undefined;
      if (o.json) {
        const { proxy, ...rest } = r;
        process.stdout.write(JSON.stringify({ ok: true, event: r.alreadyRunning ? 'already-running' : 'listening', ...(proxy ? proxy.info : {}), ...rest }) + '\n');
      } else {
        render(r);
      }
      await stopped;
    }));
}
