// WebSocket echo load for bench/proxy.sh: C connections through the proxy (wss, CA trusted), each
// sending a small message and waiting for its echo, for D seconds. Prints round-trips per second.
// usage: node ws-echo-load.mjs URL CAFILE [CONNECTIONS=50] [SECONDS=5]
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';

const [url, caFile, conns = '50', secs = '5'] = process.argv.slice(2);
const ca = readFileSync(caFile);
const payload = Buffer.alloc(32, 'x');
let count = 0;
let running = true;
const sockets = await Promise.all(Array.from({ length: Number(conns) }, () => new Promise((resolve, reject) => {
  const ws = new WebSocket(url, { ca, perMessageDeflate: false });
  ws.on('open', () => resolve(ws));
  ws.on('error', reject);
})));
const start = performance.now();
for (const ws of sockets) {
  ws.on('message', () => { count++; if (running) ws.send(payload); });
  ws.send(payload);
}
await new Promise((r) => setTimeout(r, Number(secs) * 1000));
running = false;
const elapsed = (performance.now() - start) / 1000;
console.log(`round-trips/s ${(count / elapsed).toFixed(0)}`);
for (const ws of sockets) ws.terminate();
process.exit(0);
