// WebSocket echo backend for bench/proxy.sh: every message comes back as it was sent.
// usage: node ws-echo-server.mjs PORT
import { WebSocketServer } from 'ws';

const port = Number(process.argv[2] ?? 0);
const wss = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: false });
wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
wss.on('listening', () => console.log(`ws echo listening on ${wss.address().port}`));
process.on('SIGTERM', () => process.exit(0));
